import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createDb, type Db } from '../../models';
import { migrate } from '../../models/migrate';
import { createApp, type BoardApp } from '../../server/app';
import { loadConfig, type Config } from '../../server/config';
import type { AppDeps } from '../../server/context';
import { createLogger } from '../../server/logger';
import { MemoryMailer } from '../../server/mail/mailer';
import { deliverDue } from '../../server/mail/queue';
import { createRateLimits, type RateLimits } from '../../server/services/rate-limits';

/** Every log line the app writes during the tests, for the "no personal data in logs" checks. */
export class LogCapture extends Writable {
  lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void) {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  text(): string {
    return this.lines.join('\n');
  }
  clear() {
    this.lines = [];
  }
}

/** A clock the tests can stop and move; by default it follows real time. */
export class TestClock {
  private fixed: Date | undefined;
  now = (): Date => (this.fixed ? new Date(this.fixed) : new Date());
  set(date: Date | string) {
    this.fixed = new Date(date);
  }
  advance(ms: number) {
    this.fixed = new Date(this.now().getTime() + ms);
  }
  reset() {
    this.fixed = undefined;
  }
}

export interface TestContext {
  config: Config;
  db: Db;
  mailer: MemoryMailer;
  clock: TestClock;
  logs: LogCapture;
  rateLimits: RateLimits;
  board: BoardApp;
  deps: AppDeps;
  tmpDir: string;
  /** Hold each response until queued mail is delivered (true unless a test turns it off). */
  deliverBeforeResponse: boolean;
}

let ctx: TestContext | undefined;

/** The database the suite runs on: TEST_DATABASE_URL (PostgreSQL) or a fresh SQLite file. */
export function testDatabaseUrl(tmpDir: string): string {
  return process.env.TEST_DATABASE_URL || `sqlite:${path.join(tmpDir, 'test.sqlite')}`;
}

export function testConfig(tmpDir: string, overrides: Record<string, string> = {}): Config {
  return loadConfig(
    {
      NODE_ENV: 'test',
      DATABASE_URL: testDatabaseUrl(tmpDir),
      SESSION_SECRET: 'test-secret-test-secret-test-secret-1234',
      DATA_DIR: tmpDir,
      MAIL_OUTBOX_DIR: path.join(tmpDir, 'outbox'),
      BASE_URL: 'http://board.test',
      LOG_LEVEL: 'debug',
      // The cheapest argon2id the config accepts: the suite signs in hundreds of times, and
      // what it checks is that the password is verified, not how slowly (bench/ measures that).
      ARGON2_MEMORY_KIB: '1024',
      ARGON2_TIME_COST: '1',
      // SQLITE_READ_CONNECTIONS=0 runs the suite with every query on one connection.
      ...(process.env.SQLITE_READ_CONNECTIONS ? { SQLITE_READ_CONNECTIONS: process.env.SQLITE_READ_CONNECTIONS } : {}),
    },
    overrides,
  );
}

async function resetSchema(db: Db): Promise<void> {
  if (db.dialect === 'postgres') {
    await db.sequelize.query('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;');
  }
}

export async function setupContext(): Promise<TestContext> {
  if (ctx) return ctx;
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bostadsbyte-test-'));
  const config = testConfig(tmpDir);
  const logs = new LogCapture();
  const logger = createLogger('debug', logs);
  const db = createDb(config);
  await resetSchema(db);
  await migrate(db);
  const rateLimits = await createRateLimits(db, config);
  const mailer = new MemoryMailer();
  const clock = new TestClock();
  const deps: AppDeps = { config, db, logger, mailer, rateLimits, clock: clock.now };
  const board = createApp(deps);
  deliverBeforeEachResponse(board);
  ctx = { config, db, mailer, clock, logs, rateLimits, board, deps, tmpDir, deliverBeforeResponse: true };
  return ctx;
}

/**
 * Delivers every due mail in the queue to the suite's MemoryMailer (what the server's
 * worker does moments after a commit). Returns how many were sent.
 */
export async function deliverQueuedMail(): Promise<number> {
  const c = context();
  let sent = 0;
  for (;;) {
    const r = await deliverDue({ now: c.clock.now(), mailer: c.mailer, logger: c.deps.logger });
    sent += r.sent;
    if (r.claimed < 100) return sent;
  }
}

// Services only queue mail; the server's worker sends it a moment later. So that a test can
// read "the mail the tenant got" right after a request, every response here is held until
// the queue has been delivered to the MemoryMailer.
function deliverBeforeEachResponse(board: BoardApp): void {
  type Handle = (req: unknown, res: { end: (...args: unknown[]) => unknown }, next?: unknown) => unknown;
  const app = board.app as unknown as { handle: Handle };
  const handle = app.handle.bind(app);
  app.handle = (req, res, next) => {
    const end = res.end.bind(res);
    if (!ctx?.deliverBeforeResponse) return handle(req, res, next);
    res.end = (...args: unknown[]) => {
      // The response ends once the mail is delivered, whatever happens to the delivery.
      void deliverQueuedMail()
        .catch(() => undefined)
        .finally(() => end(...args));
      return res;
    };
    return handle(req, res, next);
  };
}

export function context(): TestContext {
  if (!ctx) throw new Error('test context not set up (test/helpers/setup.ts)');
  return ctx;
}

const TABLES = [
  'alert_items',
  'saved_searches',
  'alert_settings',
  'swap_events',
  'swap_marks',
  'match_rings',
  'mail_queue',
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
  'match_edges',
  'listing_photos',
  'listing_wanted_districts',
  'listings',
  'tokens',
  'sessions',
  'users',
];

/** Empties every table so each test starts from nothing and builds its own rows. */
export async function truncateAll(db: Db): Promise<void> {
  if (db.dialect === 'postgres') {
    await db.sequelize.query(`TRUNCATE ${TABLES.join(', ')} RESTART IDENTITY CASCADE`);
  } else {
    for (const table of TABLES) await db.sequelize.query(`DELETE FROM ${table}`);
    await db.sequelize.query(`DELETE FROM sqlite_sequence`).catch(() => undefined);
  }
}

export async function teardownContext(): Promise<void> {
  if (!ctx) return;
  ctx.board.close();
  await ctx.rateLimits.close();
  await ctx.db.close();
  fs.rmSync(ctx.tmpDir, { recursive: true, force: true });
  ctx = undefined;
}
