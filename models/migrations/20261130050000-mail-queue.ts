import { DataTypes, type QueryInterface } from 'sequelize';

// The mail queue (outbox): a mail is written in the same transaction as the action that
// causes it and delivered afterwards by a worker, so a slow or absent mail server never
// fails or slows a request and a crash loses no mail. Rows hold personal data (address,
// links) only until sent; the foreign key takes them with the account on erasure.
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable('mail_queue', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true, allowNull: false },
    user_id: {
      type: DataTypes.INTEGER,
      allowNull: false,
      references: { model: 'users', key: 'id' },
      onDelete: 'CASCADE',
      onUpdate: 'CASCADE',
    },
    purpose: { type: DataTypes.STRING(40), allowNull: false },
    recipient: { type: DataTypes.STRING(254), allowNull: false },
    subject: { type: DataTypes.STRING(500), allowNull: false },
    text_body: { type: DataTypes.TEXT, allowNull: false },
    html_body: { type: DataTypes.TEXT, allowNull: true },
    headers: { type: DataTypes.TEXT, allowNull: true },
    // The sender's display name in the recipient's language (the address is MAIL_FROM's).
    from_name: { type: DataTypes.STRING(100), allowNull: true },
    state: { type: DataTypes.STRING(10), allowNull: false, defaultValue: 'queued' },
    attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    next_attempt_at: { type: DataTypes.DATE, allowNull: false },
    claimed_by: { type: DataTypes.STRING(64), allowNull: true },
    claimed_until: { type: DataTypes.DATE, allowNull: true },
    last_error: { type: DataTypes.STRING(200), allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
    failed_at: { type: DataTypes.DATE, allowNull: true },
  });
  // The worker asks for due rows by state and time; erasure looks rows up by account.
  await qi.addIndex('mail_queue', ['state', 'next_attempt_at'], { name: 'mail_queue_state_next' });
  await qi.addIndex('mail_queue', ['user_id'], { name: 'mail_queue_user_id' });
  await qi.addIndex('mail_queue', ['claimed_by'], { name: 'mail_queue_claimed_by' });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('mail_queue');
}
