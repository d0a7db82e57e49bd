import sqlite3 from 'sqlite3';
import type { Db } from '../models';
import type { Logger } from './logger';

// Whether the database answers. A request that finds the database gone (PostgreSQL
// restarted, the SQLite file locked by another program) gets a short 503 page instead of
// a hang or a stack trace, and marks the database unavailable; from then on requests get
// the 503 at once, without touching the database, while a probe asks again every second
// and lets requests through as soon as it answers. The server also probes every few
// seconds while all is well, so a locked database is noticed before requests pile up
// behind it. GET /healthz/ready reports this state; GET /healthz only says the process
// answers.

/** Errors that mean "the database is not there right now", as opposed to a bug. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (
    let e = err as { name?: string; code?: string; message?: string; parent?: unknown; original?: unknown } | undefined,
      depth = 0;
    e && depth < 4;
    e = (e.parent ?? e.original) as typeof e, depth += 1
  ) {
    const name = e.name ?? '';
    if (/^Sequelize(Connection\w*|HostNot\w+|InvalidConnection|AccessDenied|Timeout)Error$/.test(name)) return true;
    if (name === 'SequelizeConnectionAcquireTimeoutError') return true;
    const code = e.code ?? '';
    if (/^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|PROTOCOL)/.test(code)) return true;
    if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND'].includes(code)) return true;
    // PostgreSQL: admin/crash shutdown, cannot connect now, connection exceptions (08xxx).
    if (/^(57P0[123]|08\d{3})$/.test(code)) return true;
    if (/Connection terminated|connection is closed|Client has encountered a connection error/i.test(e.message ?? ''))
      return true;
  }
  return false;
}

export interface DatabaseHealth {
  readonly ready: boolean;
  /** A request found the database unavailable: answer 503 until a probe succeeds. */
  reportFailure(): void;
  /** Asks the database now; updates and returns the state. */
  probe(): Promise<boolean>;
  /** Probes every `intervalMs` while all is well (the server; tests probe by hand). */
  start(intervalMs?: number): void;
  stop(): Promise<void>;
}

const PROBE_TIMEOUT_MS = 2_000;
/** Consecutive failed probes before a database that requests have not yet tripped over counts as unavailable. */
const FAILURES_BEFORE_DOWN = 2;

function timeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_r, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('probe timed out'), { code: 'ETIMEDOUT' })), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// On SQLite the probe has its own connection with a short busy timeout: it reads the schema
// (another program holding an exclusive lock makes that fail) and takes and drops the
// write lock (a writer that holds it for more than a second makes that fail).
function sqliteProbe(storage: string): { run(): Promise<void>; close(): Promise<void> } {
  let conn: sqlite3.Database | undefined;
  const exec = (c: sqlite3.Database, sql: string) =>
    new Promise<void>((resolve, reject) => c.exec(sql, (err) => (err ? reject(err) : resolve())));
  const open = () =>
    new Promise<sqlite3.Database>((resolve, reject) => {
      const c = new sqlite3.Database(storage, sqlite3.OPEN_READWRITE, (err) => (err ? reject(err) : resolve(c)));
    });
  return {
    async run() {
      conn ??= await open();
      try {
        await exec(conn, 'PRAGMA busy_timeout = 1000; SELECT count(*) FROM sqlite_master; BEGIN IMMEDIATE; ROLLBACK;');
      } catch (err) {
        await exec(conn, 'ROLLBACK').catch(() => undefined);
        throw err;
      }
    },
    async close() {
      const c = conn;
      conn = undefined;
      if (c) await new Promise<void>((resolve) => c.close(() => resolve()));
    },
  };
}

export function createDatabaseHealth(db: Db, logger: Logger, storage?: string): DatabaseHealth {
  let ready = true;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let interval = 0;
  let recovering: NodeJS.Timeout | undefined;
  let inFlight: Promise<boolean> | undefined;
  let stopped = false;
  const sqlite = db.dialect === 'sqlite' && storage && storage !== ':memory:' ? sqliteProbe(storage) : undefined;

  const setReady = (value: boolean) => {
    if (value === ready) return;
    ready = value;
    if (value) logger.info('database available again');
    else logger.error('database unavailable: answering 503 until it returns');
  };

  const ask = async (): Promise<boolean> => {
    try {
      if (sqlite) await timeout(sqlite.run(), PROBE_TIMEOUT_MS);
      else await timeout(db.sequelize.query('SELECT 1'), PROBE_TIMEOUT_MS);
      failures = 0;
      setReady(true);
    } catch (err) {
      failures += 1;
      if (!ready || failures >= FAILURES_BEFORE_DOWN) setReady(false);
      if (failures === 1)
        logger.warn({ err: { name: (err as Error)?.name, code: (err as { code?: string })?.code } }, 'database probe failed');
      if (sqlite) await sqlite.close().catch(() => undefined);
    }
    if (!ready) recover();
    return ready;
  };

  const probe = (): Promise<boolean> => {
    inFlight ??= ask().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  // While unavailable, ask every second until the database answers (ask() re-arms this).
  function recover(): void {
    if (recovering || stopped) return;
    recovering = setTimeout(() => {
      recovering = undefined;
      // Fire and forget: ask() never rejects (a failure is the answer) and re-arms this timer.
      void probe();
    }, 1_000);
    recovering.unref();
  }

  const tick = () => {
    if (stopped || interval === 0) return;
    timer = setTimeout(() => {
      // Fire and forget: ask() never rejects; the next tick is scheduled when it answers.
      void probe().then(tick);
    }, interval);
    timer.unref();
  };

  return {
    get ready() {
      return ready;
    },
    reportFailure() {
      failures = Math.max(failures, FAILURES_BEFORE_DOWN);
      setReady(false);
      recover();
    },
    probe,
    start(intervalMs = 5_000) {
      interval = intervalMs;
      tick();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(recovering);
      await inFlight?.catch(() => undefined);
      await sqlite?.close();
    },
  };
}
