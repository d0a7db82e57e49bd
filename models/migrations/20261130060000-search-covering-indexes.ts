import type { QueryInterface } from 'sequelize';

// Search without table scans. Every search filters on status plus any of district, rooms,
// size, rent and the three features, and sorts by newest, rent or size. The old indexes
// (status + one column) found the first rows quickly but then read each candidate's full
// row — description included — to test the other filters, and the page's total read every
// active row: at 50,000 listings a rooms-only count took ~400 ms. Each index below holds
// every column a search filters on, so the database tests the filters, skips the OFFSET
// and counts the total inside the index, and reads a row from the table only for the 20
// listings on the page.
const INDEXES: [name: string, columns: string[]][] = [
  [
    'listings_search_newest',
    ['status', 'created_at', 'id', 'district', 'rooms', 'size_m2', 'rent_eur', 'has_lift', 'has_balcony', 'has_sauna'],
  ],
  ['listings_search_rent', ['status', 'rent_eur', 'id', 'district', 'rooms', 'size_m2', 'has_lift', 'has_balcony', 'has_sauna']],
  ['listings_search_size', ['status', 'size_m2', 'id', 'district', 'rooms', 'rent_eur', 'has_lift', 'has_balcony', 'has_sauna']],
  // Counts and district filters: district first after status, the other filters after it.
  ['listings_search_district', ['status', 'district', 'rooms', 'size_m2', 'rent_eur', 'has_lift', 'has_balcony', 'has_sauna']],
];
const OLD: [name: string, columns: string[]][] = [
  ['listings_status_created', ['status', 'created_at']],
  ['listings_status_rent', ['status', 'rent_eur']],
  ['listings_status_size', ['status', 'size_m2']],
  ['listings_status_district', ['status', 'district']],
];

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  for (const [name] of OLD) await qi.removeIndex('listings', name);
  for (const [name, columns] of INDEXES) await qi.addIndex('listings', columns, { name });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  for (const [name] of INDEXES) await qi.removeIndex('listings', name);
  for (const [name, columns] of OLD) await qi.addIndex('listings', columns, { name });
}
