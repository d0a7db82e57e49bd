import { DataTypes, type QueryInterface } from 'sequelize';

// Moderation: when a moderator first proved they hold their TOTP secret. Until then the
// second-factor page shows the secret (as a QR code) so it can be added to an app; after
// that, never again — a new secret only comes from `npm run admin -- promote`.
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addColumn('users', 'totp_confirmed_at', { type: DataTypes.DATE, allowNull: true });
  // The audit page pages through rows newest first; the dashboard counts by status.
  await qi.addIndex('audit_logs', ['actor_id', 'created_at'], { name: 'audit_logs_actor_created' });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.removeIndex('audit_logs', 'audit_logs_actor_created');
  await qi.removeColumn('users', 'totp_confirmed_at');
}
