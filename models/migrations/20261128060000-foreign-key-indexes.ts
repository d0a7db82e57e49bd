import type { QueryInterface } from 'sequelize';

// Every column that references users, messages, conversations or listings gets an index.
// Deleting a parent row makes the database look for children to cascade or set to NULL;
// without an index that is a full scan of the child table per deleted row. With 100,000
// conversations the purge job spent seconds per batch of 200 accounts scanning
// conversations for started_by_id and last_sender_id.
const INDEXES: [table: string, column: string][] = [
  ['conversations', 'started_by_id'],
  ['conversations', 'last_sender_id'],
  ['reports', 'reporter_id'],
  ['reports', 'handled_by_id'],
  ['reports', 'listing_id'],
  ['reports', 'message_id'],
  ['reports', 'conversation_id'],
];

const nameOf = (table: string, column: string) => `${table}_${column}`;

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  for (const [table, column] of INDEXES) await qi.addIndex(table, [column], { name: nameOf(table, column) });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  for (const [table, column] of INDEXES) await qi.removeIndex(table, nameOf(table, column));
}
