import { DataTypes, type QueryInterface } from 'sequelize';

// Alerts: a tenant's opt-ins, their saved searches and what they have been told about.
//
// - alert_settings: one row per tenant who has touched alerts. new_swaps is the opt-in for
//   "new swaps for my home" (off by default); last_sent_day is the Helsinki calendar day of
//   the last alert e-mail, the daily cap (claimed with a conditional UPDATE).
// - saved_searches: up to five per tenant, the search filters as the search page reads
//   them, an optional name, whether new listings matching it are e-mailed, and
//   seen_listing_id: the highest listing id already looked at for this search, so each
//   listing is considered once.
// - alert_items: every suggestion a tenant has been told about (or that already existed
//   when they opted in), so none is announced twice, even when a pair goes away and comes
//   back. kind 'pair' (a = the other listing) or 'ring' (a, b, c = the ring's listings,
//   smallest first). (New listings need no such record: seen_listing_id only grows.)
// Every table goes with the account: foreign keys cascade, and the erasure cascade
// deletes the rows explicitly as well.
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  const userRef = {
    type: DataTypes.INTEGER,
    allowNull: false,
    references: { model: 'users', key: 'id' },
    onDelete: 'CASCADE',
    onUpdate: 'CASCADE',
  } as const;
  await qi.createTable('alert_settings', {
    user_id: { ...userRef, primaryKey: true },
    new_swaps: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    last_sent_day: { type: DataTypes.STRING(10), allowNull: true },
    last_sent_at: { type: DataTypes.DATE, allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.createTable('saved_searches', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true, allowNull: false },
    user_id: userRef,
    name: { type: DataTypes.STRING(80), allowNull: false, defaultValue: '' },
    // The filters as JSON: {"districts":[…],"roomsMin":2,…} (validated when saved).
    filters: { type: DataTypes.TEXT, allowNull: false },
    alert: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    seen_listing_id: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('saved_searches', ['user_id'], { name: 'saved_searches_user_id' });
  const suffix = qi.sequelize.getDialect() === 'sqlite' ? ' WITHOUT ROWID' : '';
  await qi.sequelize.query(`CREATE TABLE alert_items (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind VARCHAR(8) NOT NULL,
    a INTEGER NOT NULL,
    b INTEGER NOT NULL DEFAULT 0,
    c INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (user_id, kind, a, b, c)
  )${suffix}`);
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.sequelize.query('DROP TABLE alert_items');
  await qi.dropTable('saved_searches');
  await qi.dropTable('alert_settings');
}
