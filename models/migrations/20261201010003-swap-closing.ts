import { DataTypes, type QueryInterface } from 'sequelize';

// Closing a swap, and the shared conversation of a three-way swap.
// - conversations.swap_key: set on the one conversation of a three-way swap ('r:a-b-c',
//   the ring's listings), opened when all three tenants said they are interested; unique.
// - conversations.swap_agreed_at / swap_completed_at: when every participant had said
//   "We have agreed to swap", and when the first of them said "We have swapped".
// - conversation_participants.agreed_at / swapped_at: each participant's own step; they
//   go with the participant (and so with the account).
// - swap_events: one row per agreed and per completed swap, with its month's time only —
//   no account, listing or conversation — so the moderators' monthly counts survive the
//   accounts' deletion and hold no personal data.
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addColumn('conversations', 'swap_key', { type: DataTypes.STRING(40), allowNull: true });
  await qi.addColumn('conversations', 'swap_agreed_at', { type: DataTypes.DATE, allowNull: true });
  await qi.addColumn('conversations', 'swap_completed_at', { type: DataTypes.DATE, allowNull: true });
  await qi.addIndex('conversations', ['swap_key'], { name: 'conversations_swap_key', unique: true });
  await qi.addColumn('conversation_participants', 'agreed_at', { type: DataTypes.DATE, allowNull: true });
  await qi.addColumn('conversation_participants', 'swapped_at', { type: DataTypes.DATE, allowNull: true });
  await qi.createTable('swap_events', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
    kind: { type: DataTypes.STRING(10), allowNull: false },
    parties: { type: DataTypes.SMALLINT, allowNull: false },
    created_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('swap_events', ['created_at'], { name: 'swap_events_created' });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('swap_events');
  await qi.removeColumn('conversation_participants', 'swapped_at');
  await qi.removeColumn('conversation_participants', 'agreed_at');
  await qi.removeIndex('conversations', 'conversations_swap_key');
  await qi.removeColumn('conversations', 'swap_completed_at');
  await qi.removeColumn('conversations', 'swap_agreed_at');
  await qi.removeColumn('conversations', 'swap_key');
}
