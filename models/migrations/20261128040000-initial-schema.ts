import { DataTypes, type QueryInterface } from 'sequelize';

// The whole first schema in one migration. Later changes get migrations of their own.
// Foreign keys carry the deletion cascade of docs/product.md#the-purge, so deleting a user row removes
// its listing, favourites, blocks, tokens, participations and messages in the same
// statement, while reports and conversations survive with NULLs.

const id = { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true, allowNull: false };
const ref = (table: string, onDelete: 'CASCADE' | 'SET NULL', allowNull = onDelete === 'SET NULL') => ({
  type: DataTypes.INTEGER,
  allowNull,
  references: { model: table, key: 'id' },
  onDelete,
  onUpdate: 'CASCADE',
});
const bool = (defaultValue: boolean) => ({ type: DataTypes.BOOLEAN, allowNull: false, defaultValue });
const date = (allowNull: boolean) => ({ type: DataTypes.DATE, allowNull });

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable('users', {
    id,
    username: { type: DataTypes.STRING(30), allowNull: false },
    username_lower: { type: DataTypes.STRING(30), allowNull: false, unique: true },
    email: { type: DataTypes.STRING(254), allowNull: false, unique: true },
    email_verified_at: date(true),
    pending_email: { type: DataTypes.STRING(254), allowNull: true },
    phone: { type: DataTypes.STRING(20), allowNull: true },
    show_phone: bool(false),
    password_hash: { type: DataTypes.STRING(255), allowNull: false },
    role: { type: DataTypes.STRING(10), allowNull: false, defaultValue: 'tenant' },
    locale: { type: DataTypes.STRING(2), allowNull: false, defaultValue: 'sv' },
    notify_messages: bool(false),
    emails_enabled: bool(true),
    suspended_at: date(true),
    suspended_reason: { type: DataTypes.STRING(500), allowNull: true },
    totp_secret: { type: DataTypes.STRING(64), allowNull: true },
    totp_last_step: { type: DataTypes.BIGINT, allowNull: true },
    last_login_at: date(false),
    purge_warning_for: date(true),
    created_at: date(false),
    updated_at: date(false),
  });
  await qi.addIndex('users', ['last_login_at'], { name: 'users_last_login_at' });
  await qi.addIndex('users', ['role'], { name: 'users_role' });

  await qi.createTable('sessions', {
    sid: { type: DataTypes.STRING(64), primaryKey: true, allowNull: false },
    expires: date(true),
    data: { type: DataTypes.TEXT, allowNull: true },
    user_id: ref('users', 'CASCADE', true),
    created_at: date(false),
    updated_at: date(false),
  });
  await qi.addIndex('sessions', ['user_id'], { name: 'sessions_user_id' });
  await qi.addIndex('sessions', ['expires'], { name: 'sessions_expires' });

  await qi.createTable('tokens', {
    id,
    user_id: ref('users', 'CASCADE', false),
    purpose: { type: DataTypes.STRING(20), allowNull: false },
    token_hash: { type: DataTypes.STRING(64), allowNull: false, unique: true },
    expires_at: date(false),
    used_at: date(true),
    created_at: date(false),
  });
  await qi.addIndex('tokens', ['user_id', 'purpose'], { name: 'tokens_user_purpose' });

  await qi.createTable('listings', {
    id,
    user_id: { ...ref('users', 'CASCADE', false), unique: true },
    status: { type: DataTypes.STRING(10), allowNull: false, defaultValue: 'active' },
    hidden_reason: { type: DataTypes.STRING(500), allowNull: true },
    review_requested_at: date(true),
    district: { type: DataTypes.STRING(40), allowNull: false },
    postal_code: { type: DataTypes.STRING(5), allowNull: false },
    rooms: { type: DataTypes.INTEGER, allowNull: false },
    size_m2: { type: DataTypes.INTEGER, allowNull: false },
    rent_eur: { type: DataTypes.INTEGER, allowNull: false },
    floor: { type: DataTypes.INTEGER, allowNull: true },
    has_lift: bool(false),
    has_balcony: bool(false),
    has_sauna: bool(false),
    building_type: { type: DataTypes.STRING(20), allowNull: true },
    available_from: { type: DataTypes.DATEONLY, allowNull: true },
    description: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
    wanted_rooms_min: { type: DataTypes.INTEGER, allowNull: true },
    wanted_size_min: { type: DataTypes.INTEGER, allowNull: true },
    wanted_rent_max: { type: DataTypes.INTEGER, allowNull: true },
    wanted_lift: bool(false),
    wanted_balcony: bool(false),
    wanted_sauna: bool(false),
    wanted_description: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
    created_at: date(false),
    updated_at: date(false),
  });
  // Search filters on status first, then sorts by one of these columns.
  await qi.addIndex('listings', ['status', 'created_at'], { name: 'listings_status_created' });
  await qi.addIndex('listings', ['status', 'rent_eur'], { name: 'listings_status_rent' });
  await qi.addIndex('listings', ['status', 'size_m2'], { name: 'listings_status_size' });
  await qi.addIndex('listings', ['status', 'district'], { name: 'listings_status_district' });

  await qi.createTable('listing_wanted_districts', {
    listing_id: { ...ref('listings', 'CASCADE', false), primaryKey: true },
    district: { type: DataTypes.STRING(40), allowNull: false, primaryKey: true },
  });
  await qi.addIndex('listing_wanted_districts', ['district', 'listing_id'], { name: 'lwd_district_listing' });

  await qi.createTable('favourites', {
    user_id: { ...ref('users', 'CASCADE', false), primaryKey: true },
    listing_id: { ...ref('listings', 'CASCADE', false), primaryKey: true },
    created_at: date(false),
  });
  await qi.addIndex('favourites', ['listing_id'], { name: 'favourites_listing' });

  await qi.createTable('conversations', {
    id,
    listing_id: ref('listings', 'SET NULL'),
    started_by_id: ref('users', 'SET NULL'),
    last_message_at: date(false),
    last_sender_id: ref('users', 'SET NULL'),
    created_at: date(false),
  });
  await qi.addIndex('conversations', ['listing_id', 'started_by_id'], { name: 'conversations_listing_starter', unique: true });

  await qi.createTable('conversation_participants', {
    conversation_id: { ...ref('conversations', 'CASCADE', false), primaryKey: true },
    user_id: { ...ref('users', 'CASCADE', false), primaryKey: true },
    unread_count: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    last_read_at: date(true),
    last_message_at: date(false),
    notice_sent_at: date(true),
  });
  await qi.addIndex('conversation_participants', ['user_id', 'last_message_at'], { name: 'participants_inbox' });

  await qi.createTable('messages', {
    id,
    conversation_id: ref('conversations', 'CASCADE', false),
    sender_id: ref('users', 'CASCADE', false),
    body: { type: DataTypes.TEXT, allowNull: false },
    created_at: date(false),
  });
  await qi.addIndex('messages', ['conversation_id', 'id'], { name: 'messages_conversation' });
  await qi.addIndex('messages', ['sender_id', 'created_at'], { name: 'messages_sender' });

  await qi.createTable('blocks', {
    blocker_id: { ...ref('users', 'CASCADE', false), primaryKey: true },
    blocked_id: { ...ref('users', 'CASCADE', false), primaryKey: true },
    created_at: date(false),
  });
  await qi.addIndex('blocks', ['blocked_id'], { name: 'blocks_blocked' });

  await qi.createTable('reports', {
    id,
    kind: { type: DataTypes.STRING(10), allowNull: false },
    reporter_id: ref('users', 'SET NULL'),
    listing_id: ref('listings', 'SET NULL'),
    conversation_id: ref('conversations', 'SET NULL'),
    message_id: ref('messages', 'SET NULL'),
    reason: { type: DataTypes.STRING(20), allowNull: false },
    details: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
    status: { type: DataTypes.STRING(10), allowNull: false, defaultValue: 'open' },
    handled_by_id: ref('users', 'SET NULL'),
    handled_at: date(true),
    resolution_note: { type: DataTypes.STRING(1000), allowNull: true },
    created_at: date(false),
    updated_at: date(false),
  });
  await qi.addIndex('reports', ['status', 'created_at'], { name: 'reports_status_created' });
  // Reporting is idempotent per reporter: once per listing, once per message.
  await qi.addIndex('reports', ['reporter_id', 'listing_id'], {
    name: 'reports_once_per_listing',
    unique: true,
    where: { kind: 'listing' },
  });
  await qi.addIndex('reports', ['reporter_id', 'message_id'], {
    name: 'reports_once_per_message',
    unique: true,
    where: { kind: 'message' },
  });

  await qi.createTable('audit_logs', {
    id,
    actor_id: { type: DataTypes.INTEGER, allowNull: true },
    action: { type: DataTypes.STRING(40), allowNull: false },
    target_type: { type: DataTypes.STRING(20), allowNull: false },
    target_id: { type: DataTypes.INTEGER, allowNull: true },
    target_label: { type: DataTypes.STRING(80), allowNull: false },
    reason: { type: DataTypes.STRING(1000), allowNull: true },
    report_id: { type: DataTypes.INTEGER, allowNull: true },
    created_at: date(false),
  });
  await qi.addIndex('audit_logs', ['created_at'], { name: 'audit_logs_created' });

  await qi.createTable('purge_runs', {
    id,
    started_at: date(false),
    finished_at: date(true),
    as_of: date(false),
    dry_run: bool(false),
    deleted_count: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    warned_count: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    outcome: { type: DataTypes.STRING(10), allowNull: false },
    error: { type: DataTypes.STRING(1000), allowNull: true },
  });
  await qi.addIndex('purge_runs', ['started_at'], { name: 'purge_runs_started' });

  await qi.createTable('job_locks', {
    name: { type: DataTypes.STRING(40), primaryKey: true, allowNull: false },
    holder: { type: DataTypes.STRING(80), allowNull: false },
    locked_until: date(false),
  });

  // rate-limiter-flexible's table layout (RateLimiterSQLite / RateLimiterPostgres),
  // created here so the library never issues DDL at run time.
  await qi.createTable('rate_limits', {
    key: { type: DataTypes.STRING(255), primaryKey: true, allowNull: false },
    points: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    expire: { type: DataTypes.BIGINT, allowNull: true },
  });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  for (const table of [
    'rate_limits',
    'job_locks',
    'purge_runs',
    'audit_logs',
    'reports',
    'blocks',
    'messages',
    'conversation_participants',
    'conversations',
    'favourites',
    'listing_wanted_districts',
    'listings',
    'tokens',
    'sessions',
    'users',
  ]) {
    await qi.dropTable(table);
  }
}
