import { DataTypes, type QueryInterface } from 'sequelize';

// A token may carry one value it acts on: the address an "undo this e-mail change" link
// restores. The link is mailed to that very address, so it holds nothing the recipient
// does not know; it goes with the token (used, expired or deleted with the account).
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addColumn('tokens', 'payload', { type: DataTypes.STRING(254), allowNull: true });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.removeColumn('tokens', 'payload');
}
