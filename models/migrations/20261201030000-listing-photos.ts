import { DataTypes, type QueryInterface } from 'sequelize';

// Photos of a listing's flat. Only the board's own re-encodings are stored — a large view
// and a card thumbnail, both WebP without any metadata — never the uploaded bytes. They
// live in the database, not in files: every app process on one PostgreSQL serves the same
// photos, a photo goes in the same transaction as the rows it belongs to, and on SQLite
// secure_delete plus the WAL checkpoint leave nothing of a deleted photo on disk.
// `key` is the public, unguessable name in the photo's URL (a hash of the bytes and a
// random salt), so the URL changes whenever the bytes do and can be cached for a year.
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable('listing_photos', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true, allowNull: false },
    listing_id: {
      type: DataTypes.INTEGER,
      allowNull: false,
      references: { model: 'listings', key: 'id' },
      onDelete: 'CASCADE',
      onUpdate: 'CASCADE',
    },
    key: { type: DataTypes.STRING(64), allowNull: false, unique: true },
    position: { type: DataTypes.INTEGER, allowNull: false },
    is_cover: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    alt_text: { type: DataTypes.STRING(300), allowNull: false },
    width: { type: DataTypes.INTEGER, allowNull: false },
    height: { type: DataTypes.INTEGER, allowNull: false },
    thumb_width: { type: DataTypes.INTEGER, allowNull: false },
    thumb_height: { type: DataTypes.INTEGER, allowNull: false },
    large: { type: DataTypes.BLOB, allowNull: false },
    thumb: { type: DataTypes.BLOB, allowNull: false },
    // 'visible' or 'hidden' (by a moderator, with the reason its owner is shown).
    status: { type: DataTypes.STRING(10), allowNull: false, defaultValue: 'visible' },
    hidden_reason: { type: DataTypes.STRING(500), allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });
  // A listing's photos in order (cards and pages read them by listing).
  await qi.addIndex('listing_photos', ['listing_id', 'position'], { name: 'listing_photos_listing_position' });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('listing_photos');
}
