import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import path from 'node:path';
import { Sequelize, type Options, Transaction } from 'sequelize';
import type { Config } from '../server/config';
import type { Logger } from '../server/logger';
import { AlertSetting } from './alert-setting';
import { AuditLog } from './audit-log';
import { Block } from './block';
import { Conversation } from './conversation';
import { ConversationParticipant } from './conversation-participant';
import { Favourite } from './favourite';
import { JobLock } from './job-lock';
import { Listing } from './listing';
import { ListingPhoto } from './listing-photo';
import { ListingWantedDistrict } from './listing-wanted-district';
import { Message } from './message';
import { PurgeRun } from './purge-run';
import { skipQueryStackTraces } from './query-stacks';
import { QueuedMail } from './queued-mail';
import { Report } from './report';
import { SavedSearch } from './saved-search';
import { Session } from './session';
import { Token } from './token';
import { User } from './user';

export {
  AlertSetting,
  SavedSearch,
  AuditLog,
  Block,
  Conversation,
  ConversationParticipant,
  Favourite,
  JobLock,
  Listing,
  ListingPhoto,
  ListingWantedDistrict,
  Message,
  PurgeRun,
  QueuedMail,
  Report,
  Session,
  Token,
  User,
};

export interface Db {
  sequelize: Sequelize;
  dialect: 'sqlite' | 'postgres';
  /** Frees file space and WAL pages after deletions (SQLite only). */
  checkpoint(): Promise<void>;
  /** Refreshes the query planner's table statistics where they are missing or stale (SQLite only). */
  optimize(): Promise<void>;
  close(): Promise<void>;
}

// Applied to every SQLite connection Sequelize opens (it opens one more per transaction):
// WAL so readers do not block the writer; a busy timeout so a second writer waits instead
// of failing; secure_delete so deleted rows are overwritten with zeros on disk.
const SQLITE_PRAGMAS = [
  'PRAGMA journal_mode = WAL',
  'PRAGMA foreign_keys = ON',
  'PRAGMA busy_timeout = 10000',
  'PRAGMA secure_delete = ON',
  'PRAGMA synchronous = NORMAL',
];

interface RawSqlite {
  run(sql: string, cb: (err: Error | null) => void): void;
  close(cb: (err: Error | null) => void): void;
  __pragmasApplied?: boolean;
  /** Set on the read-only connections of the read pool: its slot. */
  __reader?: { index: number };
}

// The read-only connections of the read pool get the same settings (the database file
// is already in WAL mode), and can never write even if a query tried to.
const SQLITE_READER_PRAGMAS = [...SQLITE_PRAGMAS.filter((p) => !p.includes('journal_mode')), 'PRAGMA query_only = ON'];

function runRaw(conn: RawSqlite, sql: string): Promise<void> {
  return new Promise((resolve, reject) => conn.run(sql, (err) => (err ? reject(err) : resolve())));
}

function applyPragmasOnEveryConnection(sequelize: Sequelize): void {
  const manager = sequelize.connectionManager as unknown as { getConnection(o?: unknown): Promise<RawSqlite> };
  const original = manager.getConnection.bind(manager);
  manager.getConnection = async (options?: unknown) => {
    const conn = await original(options);
    if (!conn.__pragmasApplied) {
      conn.__pragmasApplied = true;
      for (const sql of SQLITE_PRAGMAS) await runRaw(conn, sql);
    }
    return conn;
  };
}

/**
 * Reads in parallel on SQLite. Sequelize's SQLite dialect sends every query outside a
 * transaction through one connection, and a connection runs one statement at a time, so
 * under load requests queue for it while the CPU idles. In WAL mode any number of readers
 * run beside the one writer, each seeing the last committed state, so SELECTs outside a
 * transaction go to a small pool of read-only connections (the least busy one), while
 * writes and everything inside a transaction keep the read-write connection.
 *
 * Read-your-writes holds: a write outside a transaction has committed when its promise
 * resolves, and every statement on a reader starts a fresh read snapshot; a read inside a
 * transaction runs on the transaction's own connection and sees its uncommitted writes.
 */
function routeReadsToPool(sequelize: Sequelize, storage: string, size: number): () => Promise<void> {
  const manager = sequelize.connectionManager as unknown as {
    getConnection(o?: { type?: string; transaction?: unknown; uuid?: string }): Promise<RawSqlite>;
    releaseConnection(conn: RawSqlite, force?: boolean): unknown;
    lib: { Database: new (file: string, mode: number, cb: (err: Error | null) => void) => RawSqlite; OPEN_READONLY: number };
  };
  const readers: Promise<RawSqlite>[] = [];
  const open = async (index: number): Promise<RawSqlite> => {
    const conn = await new Promise<RawSqlite>((resolve, reject) => {
      const db: RawSqlite = new manager.lib.Database(storage, manager.lib.OPEN_READONLY, (err) =>
        err ? reject(err) : resolve(db),
      );
    });
    for (const sql of SQLITE_READER_PRAGMAS) await runRaw(conn, sql);
    conn.__reader = { index };
    conn.__pragmasApplied = true;
    return conn;
  };
  const inFlight = new Array<number>(size).fill(0);
  const getConnection = manager.getConnection.bind(manager);
  manager.getConnection = async (options) => {
    if (!options || options.type !== 'SELECT' || options.transaction || options.uuid) return getConnection(options);
    let pick = 0;
    for (let i = 1; i < size; i++) if (inFlight[i]! < inFlight[pick]!) pick = i;
    inFlight[pick]! += 1;
    try {
      // Opened lazily: the database file exists (and is migrated) by the first read.
      readers[pick] ??= open(pick).catch((err: unknown) => {
        delete readers[pick];
        throw err;
      });
      return await readers[pick]!;
    } catch (err) {
      inFlight[pick]! -= 1;
      throw err;
    }
  };
  const releaseConnection = manager.releaseConnection.bind(manager);
  manager.releaseConnection = (conn, force) => {
    const index = conn.__reader?.index;
    if (index !== undefined) {
      inFlight[index] = Math.max(0, inFlight[index]! - 1);
      return undefined;
    }
    return releaseConnection(conn, force);
  };
  return async () => {
    const opened = await Promise.allSettled(readers.splice(0));
    for (const r of opened) {
      if (r.status === 'fulfilled') await new Promise<void>((resolve) => r.value.close(() => resolve()));
    }
  };
}

// node-sqlite3 waits for a busy database inside libuv's small thread pool. Several write
// transactions waiting at once can fill the pool so that the one holding the lock never
// gets a thread to finish on, and all of them time out together. SQLite has a single
// writer anyway, so this process queues its own transactions and only contends with
// other processes (the CLIs) through busy_timeout.
/** Each SQLite Sequelize's queue of write transactions (see queueTransactions), for the bulk writer. */
export const writeTurns = new WeakMap<Sequelize, () => Promise<() => void>>();

function queueTransactions(sequelize: Sequelize): void {
  type TxFn = (t: Transaction) => Promise<unknown>;
  const original = sequelize.transaction.bind(sequelize) as (options?: unknown, fn?: TxFn) => Promise<unknown>;
  let tail: Promise<void> = Promise.resolve();
  // Starting a second transaction from inside the callback of the first would wait for
  // itself forever; say so at once instead.
  const inside = new AsyncLocalStorage<boolean>();
  const takeTurn = (): Promise<() => void> => {
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const turn = tail.then(() => release);
    tail = tail.then(() => done);
    return turn;
  };
  writeTurns.set(sequelize, takeTurn);
  (sequelize as unknown as { transaction: unknown }).transaction = async (optionsOrFn?: unknown, maybeFn?: TxFn) => {
    const fn = typeof optionsOrFn === 'function' ? (optionsOrFn as TxFn) : maybeFn;
    const options = typeof optionsOrFn === 'function' ? {} : optionsOrFn;
    if (inside.getStore()) {
      throw new Error('Nested SQLite transaction: pass { transaction } to the inner queries instead');
    }
    const release = await takeTurn();
    if (fn) {
      try {
        return await inside.run(true, () => original(options, fn));
      } finally {
        release();
      }
    }
    // An unmanaged transaction (Sequelize's own findOrCreate uses one): hold the turn
    // until it commits or rolls back.
    let t: Transaction;
    try {
      t = (await original(options)) as Transaction;
    } catch (err) {
      release();
      throw err;
    }
    for (const method of ['commit', 'rollback'] as const) {
      const inner = t[method].bind(t);
      t[method] = async () => {
        try {
          return await inner();
        } finally {
          release();
        }
      };
    }
    return t;
  };
}

function initModels(sequelize: Sequelize): void {
  for (const model of [
    User,
    Session,
    Token,
    Listing,
    ListingWantedDistrict,
    Favourite,
    Report,
    Conversation,
    ConversationParticipant,
    AlertSetting,
    SavedSearch,
    Message,
    Block,
    AuditLog,
    PurgeRun,
    JobLock,
    QueuedMail,
    ListingPhoto,
  ]) {
    model.initModel(sequelize);
  }
  User.hasOne(Listing, { foreignKey: 'userId', as: 'listing' });
  Listing.belongsTo(User, { foreignKey: 'userId', as: 'owner' });
  Listing.hasMany(ListingWantedDistrict, { foreignKey: 'listingId', as: 'wantedDistricts' });
  ListingPhoto.belongsTo(Listing, { foreignKey: 'listingId', as: 'listing' });
  Favourite.belongsTo(Listing, { foreignKey: 'listingId', as: 'listing' });
  Conversation.hasMany(ConversationParticipant, { foreignKey: 'conversationId', as: 'participants' });
  ConversationParticipant.belongsTo(Conversation, { foreignKey: 'conversationId', as: 'conversation' });
  ConversationParticipant.belongsTo(User, { foreignKey: 'userId', as: 'user' });
  Conversation.belongsTo(Listing, { foreignKey: 'listingId', as: 'listing' });
  Conversation.hasMany(Message, { foreignKey: 'conversationId', as: 'messages' });
  Message.belongsTo(User, { foreignKey: 'senderId', as: 'sender' });
  Report.belongsTo(User, { foreignKey: 'reporterId', as: 'reporter' });
  Report.belongsTo(Listing, { foreignKey: 'listingId', as: 'listing' });
  Report.belongsTo(Message, { foreignKey: 'messageId', as: 'message' });
}

/**
 * The database file holds everyone's personal data: it is created readable by the
 * board's own user only (0600) before SQLite opens it. SQLite gives the -wal and -shm
 * files it creates the main file's mode; files left from before are tightened too.
 */
export function createPrivately(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      fs.chmodSync(f, 0o600);
    } catch {
      // not there (yet)
    }
  }
}

export function createDb(config: Pick<Config, 'database'> & Partial<Pick<Config, 'env'>>, logger?: Logger): Db {
  const { dialect, url, storage } = config.database;
  let closeReaders = async (): Promise<void> => undefined;
  const logging: Options['logging'] = logger && logger.isLevelEnabled('trace') ? (sql) => logger.trace({ sql }) : false;
  let sequelize: Sequelize;
  if (dialect === 'sqlite') {
    if (storage && storage !== ':memory:') createPrivately(storage);
    sequelize = new Sequelize({
      dialect: 'sqlite',
      storage,
      logging,
      // BEGIN IMMEDIATE takes the write lock up front, so two concurrent write
      // transactions queue on busy_timeout instead of deadlocking with SQLITE_BUSY.
      transactionType: Transaction.TYPES.IMMEDIATE,
      // Retry only a locked database, never a constraint error (Sequelize's default
      // match list is lost once retry is given).
      retry: { max: 3, match: [/SQLITE_BUSY/] },
    });
    applyPragmasOnEveryConnection(sequelize);
    queueTransactions(sequelize);
    const readConnections = config.database.readConnections ?? 0;
    if (storage && storage !== ':memory:' && readConnections > 0) {
      closeReaders = routeReadsToPool(sequelize, storage, readConnections);
    }
  } else {
    sequelize = new Sequelize(url, {
      dialect: 'postgres',
      logging,
      pool: { max: 10, min: 0, idle: 10_000 },
    });
  }
  initModels(sequelize);
  if (config.env !== 'development') skipQueryStackTraces(sequelize);
  return {
    sequelize,
    dialect,
    async checkpoint() {
      if (dialect !== 'sqlite') return;
      await sequelize.query('PRAGMA wal_checkpoint(TRUNCATE)');
    },
    async optimize() {
      if (dialect !== 'sqlite') return;
      // 0x10002: analyze every table that needs it, including ones never analyzed
      // (SQLite's advice for a long-lived connection: once at start, then now and then).
      await sequelize.query('PRAGMA optimize = 0x10002');
    },
    async close() {
      await closeReaders();
      await sequelize.close();
    },
  };
}
