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
  ctx = { config, db, mailer, clock, logs, rateLimits, board, deps, tmpDir };
  return ctx;
}

export function context(): TestContext {
  if (!ctx) throw new Error('test context not set up (test/helpers/setup.ts)');
  return ctx;
}

const TABLES = [
  'rate_limits', 'job_locks', 'purge_runs', 'audit_logs', 'reports', 'blocks', 'messages', 'conversation_participants',
  'conversations', 'favourites', 'match_edges', 'listing_wanted_districts', 'listings', 'tokens', 'sessions', 'users',
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
