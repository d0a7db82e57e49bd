import type { QueryInterface } from 'sequelize';

// Interest marks: a tenant's "Interested" / "Not interested" on one suggestion — a
// mutual pair (listing_a < listing_b, listing_c NULL) or a three-way swap (the ring's
// listings in match_rings order). `suggestion` is the same key as text ('p:3-9',
// 'r:3-9-5'), unique per tenant. A mark belongs to its tenant's account (deleted with
// it) and to the listings it names (deleted with any of them): it is never shown to
// anyone else, only counted in "n of 3 said yes".
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  const dialect = qi.sequelize.getDialect();
  const id = dialect === 'postgres' ? 'id SERIAL PRIMARY KEY' : 'id INTEGER PRIMARY KEY AUTOINCREMENT';
  const time = dialect === 'postgres' ? 'TIMESTAMP WITH TIME ZONE' : 'DATETIME';
  await qi.sequelize.query(`CREATE TABLE swap_marks (
    ${id},
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    suggestion VARCHAR(40) NOT NULL,
    listing_a INTEGER NOT NULL REFERENCES listings (id) ON DELETE CASCADE,
    listing_b INTEGER NOT NULL REFERENCES listings (id) ON DELETE CASCADE,
    listing_c INTEGER NULL REFERENCES listings (id) ON DELETE CASCADE,
    interested BOOLEAN NOT NULL,
    created_at ${time} NOT NULL,
    updated_at ${time} NOT NULL
  )`);
  await qi.sequelize.query('CREATE UNIQUE INDEX swap_marks_user_suggestion ON swap_marks (user_id, suggestion)');
  // Counting the yes of a suggestion's parties; the cascades from each listing.
  await qi.sequelize.query('CREATE INDEX swap_marks_suggestion ON swap_marks (suggestion)');
  await qi.sequelize.query('CREATE INDEX swap_marks_listing_a ON swap_marks (listing_a)');
  await qi.sequelize.query('CREATE INDEX swap_marks_listing_b ON swap_marks (listing_b)');
  await qi.sequelize.query('CREATE INDEX swap_marks_listing_c ON swap_marks (listing_c)');
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.sequelize.query('DROP TABLE swap_marks');
}
