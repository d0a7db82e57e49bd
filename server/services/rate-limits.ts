import crypto from 'node:crypto';
import { QueryTypes } from 'sequelize';
import sqlite3 from 'sqlite3';
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRes,
  RateLimiterSQLite,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { Db } from '../../models';
import type { Config } from '../config';
import { TooManyRequests } from '../errors';
import type { Limit, LimitName, RateLimits } from '../types/domain';

// Counters live in the database (rate-limiter-flexible's SQLite and PostgreSQL stores),
// so limits hold across restarts and across every app process sharing PostgreSQL; only
// on SQLite is the one-minute search limit kept in memory (PROCESS_MEMORY below).
// Keys are HMACs with a secret derived from the session secret: the table never holds
// a username, e-mail or IP address in clear, and a copy of the table alone cannot be
// reversed by hashing every IPv4 address or a list of usernames.

export type { Limit, LimitName, RateLimits };

/** The secret the keys are HMAC'd with: derived from the session secret, never stored. */
function keySecret(config: Pick<Config, 'sessionSecret'>): Buffer {
  return crypto.createHmac('sha256', config.sessionSecret).update('rate-limit keys').digest();
}

function hashKeyWith(secret: Buffer, key: string | number): string {
  return crypto.createHmac('sha256', secret).update(String(key).toLowerCase()).digest('base64url').slice(0, 32);
}

/** Every limit that is counted per account under the key `user:<id>`. */
const PER_ACCOUNT: readonly LimitName[] = ['loginAccount', 'mail', 'newConversation', 'message', 'totp', 'report'];

/**
 * The stored keys (`<limit>:<hmac>`) of an account's counters, so they can be deleted
 * with the account (purge and erasure).
 */
export function accountLimitKeys(config: Pick<Config, 'sessionSecret'>, userId: number): string[] {
  return accountsLimitKeys(config, [userId]);
}

/**
 * The same for many accounts at once (a purge batch). Every limit of one account shares
 * the one HMAC of `user:<id>`, so it is computed once per account and the secret once per
 * call: a purge of 150,000 accounts spent ~3 s of CPU hashing the same values seven times.
 */
export function accountsLimitKeys(config: Pick<Config, 'sessionSecret'>, userIds: readonly number[]): string[] {
  const secret = keySecret(config);
  return userIds.flatMap((userId) => {
    const hash = hashKeyWith(secret, `user:${userId}`);
    return PER_ACCOUNT.map((name) => `${name}:${hash}`);
  });
}

/** Removes counters whose window has passed (the scheduler runs this). Returns the count. */
export async function removeExpiredLimits(db: Db, now: Date): Promise<number> {
  const removed: unknown = await db.sequelize.query('DELETE FROM rate_limits WHERE expire IS NOT NULL AND expire < :now', {
    replacements: { now: now.getTime() },
    type: QueryTypes.BULKDELETE,
  });
  return Number(removed) || 0;
}

type Serial = <T>(task: () => Promise<T>) => Promise<T>;

const direct: Serial = (task) => task();

// The SQLite store wraps every update in SAVEPOINT … RELEASE on one connection. Two
// updates at once would nest their savepoints, and a failure in one would roll back the
// other's, so on SQLite the limiter's calls take turns.
function oneAtATime(): Serial {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>) => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };
}

function wrap(limiter: RateLimiterAbstract, id: string, serial: Serial, secret: Buffer): Limit {
  const hashKey = (key: string | number) => hashKeyWith(secret, key);
  return {
    async consume(key, points = 1) {
      try {
        await serial(() => limiter.consume(hashKey(key), points));
      } catch (err) {
        if (err instanceof RateLimiterRes) throw TooManyRequests(Math.ceil(err.msBeforeNext / 1000), `rate_limited.${id}`);
        throw err;
      }
    },
    async giveBack(key, points = 1) {
      await serial(() => limiter.reward(hashKey(key), points));
    },
    async isBlocked(key) {
      const res = await serial(() => limiter.get(hashKey(key)));
      if (res && res.remainingPoints <= 0) return Math.ceil(res.msBeforeNext / 1000);
      return false;
    },
    async reset(key) {
      await serial(() => limiter.delete(hashKey(key)));
    },
  };
}

// On SQLite the search limit is counted in this process's memory. It is asked on every
// anonymous search and listing page, and in the database it cost a write transaction
// per page view, all of them queued behind one another; SQLite means one app process,
// and the window is one minute, so surviving a restart buys nothing. On PostgreSQL
// several processes may serve one address, and a visitor must not get N times the
// allowance by being spread over them: there the search limit is in the database like
// the others (one upsert per page view, which PostgreSQL runs side by side), and an IP
// that has used its allowance is refused from memory until its minute is over.
const PROCESS_MEMORY: ReadonlySet<LimitName> = new Set<LimitName>(['search']);

function sqliteConnection(file: string): Promise<sqlite3.Database> {
  return new Promise((resolve, reject) => {
    const conn = new sqlite3.Database(file, (err) => {
      if (err) return reject(err);
      // The same durability as the main connections (models/index.ts): WAL with
      // synchronous = NORMAL, so a counter update does not wait for an fsync.
      conn.run('PRAGMA busy_timeout = 10000', () =>
        conn.run('PRAGMA secure_delete = ON', () => conn.run('PRAGMA synchronous = NORMAL', () => resolve(conn))),
      );
    });
  });
}

export async function createRateLimits(db: Db, config: Config, opts: { memory?: boolean } = {}): Promise<RateLimits> {
  const l = config.limits;
  const specs: Record<LimitName, { points: number; duration: number; blockDuration?: number }> = {
    loginAccount: { points: l.loginFailuresPerAccount, duration: l.loginLockSeconds, blockDuration: l.loginLockSeconds },
    loginIp: { points: l.loginFailuresPerIp, duration: 3600, blockDuration: l.loginLockSeconds },
    register: { points: l.registrationsPerIpPerHour, duration: 3600 },
    mail: { points: l.mailPerHour, duration: 3600 },
    forgotIp: { points: l.mailPerHour * 4, duration: 3600 },
    search: { points: l.searchPerIpPerMinute, duration: 60 },
    newConversation: { points: l.newConversationsPerDay, duration: 86_400 },
    message: { points: l.messagesPerHour, duration: 3600 },
    totp: { points: l.totpFailures, duration: 900, blockDuration: 900 },
    report: { points: 30, duration: 86_400 },
  };
  let sqliteConn: sqlite3.Database | undefined;
  let serial = direct;
  let make: (name: LimitName) => RateLimiterAbstract;
  if (opts.memory) {
    make = (name) => new RateLimiterMemory({ keyPrefix: name, ...specs[name] });
  } else if (db.dialect === 'sqlite') {
    // A connection of its own: the library wraps each update in a SAVEPOINT, which must
    // never interleave with the statements Sequelize runs on its shared connection.
    sqliteConn = await sqliteConnection(config.database.storage!);
    serial = oneAtATime();
    const client = sqliteConn;
    make = (name) =>
      new RateLimiterSQLite({
        storeClient: client,
        storeType: 'sqlite3',
        tableName: 'rate_limits',
        tableCreated: true,
        keyPrefix: name,
        clearExpiredByTimeout: false,
        ...specs[name],
      } as ConstructorParameters<typeof RateLimiterSQLite>[0]);
  } else {
    make = (name) =>
      new RateLimiterPostgres({
        storeClient: db.sequelize,
        storeType: 'sequelize',
        tableName: 'rate_limits',
        tableCreated: true,
        keyPrefix: name,
        clearExpiredByTimeout: false,
        ...specs[name],
        ...(PROCESS_MEMORY.has(name) ? { inMemoryBlockOnConsumed: specs[name].points } : {}),
      } as ConstructorParameters<typeof RateLimiterPostgres>[0]);
  }
  const inMemory = (name: LimitName) => PROCESS_MEMORY.has(name) && db.dialect === 'sqlite';
  const cache = new Map<LimitName, Limit>();
  const secret = keySecret(config);
  return {
    get(name) {
      let limit = cache.get(name);
      if (!limit) {
        limit = inMemory(name)
          ? wrap(new RateLimiterMemory({ keyPrefix: name, ...specs[name] }), name, direct, secret)
          : wrap(make(name), name, serial, secret);
        cache.set(name, limit);
      }
      return limit;
    },
    clearMemory() {
      for (const name of PROCESS_MEMORY) cache.delete(name);
    },
    async close() {
      if (sqliteConn) await new Promise<void>((resolve) => sqliteConn!.close(() => resolve()));
    },
  };
}
