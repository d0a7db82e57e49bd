import type { Sequelize } from 'sequelize';
import { writeTurns } from './index';

// Rebuilding the match graph writes tens of millions of rows (21 million at 100,000
// tenants). Through Sequelize each chunk is SQL text built, passed through the query
// pipeline and parsed again by SQLite, and every row's two foreign keys are looked up in
// listings — and with foreign keys on, `DELETE FROM match_edges` cannot use SQLite's
// truncate shortcut and deletes row by row. A rebuild derives every row from listings it
// reads inside the same transaction, so those checks can never fail there: it runs on a
// connection of its own with foreign-key checks off, inside one IMMEDIATE transaction,
// with one prepared statement run again and again.
//
// Only for SQLite files (null otherwise: PostgreSQL, and ':memory:' where a second
// connection would see another database). It takes this process's turn for write
// transactions first, so no transaction of the app's own waits on its lock meanwhile.

interface RawStatement {
  run(params: unknown[], cb: (err: Error | null) => void): void;
  finalize(cb: (err: Error | null) => void): void;
}

interface RawConnection {
  run(sql: string, params: unknown[], cb: (err: Error | null) => void): void;
  all(sql: string, params: unknown[], cb: (err: Error | null, rows: unknown[]) => void): void;
  prepare(sql: string, cb: (err: Error | null) => void): RawStatement;
  close(cb: (err: Error | null) => void): void;
}

export interface PreparedWrite {
  run(params: unknown[]): Promise<void>;
  finalize(): Promise<void>;
}

export interface BulkWriter {
  run(sql: string, params?: unknown[]): Promise<void>;
  all<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /** One statement parsed once and run with many parameter lists. */
  prepare(sql: string): Promise<PreparedWrite>;
}

const PRAGMAS = [
  'PRAGMA busy_timeout = 10000',
  'PRAGMA foreign_keys = OFF',
  'PRAGMA secure_delete = ON',
  'PRAGMA synchronous = NORMAL',
  // A large page cache while it writes (SQLite's default is 2 MB).
  'PRAGMA cache_size = -262144',
];

export async function withBulkSqliteWriter<T>(sequelize: Sequelize, fn: (w: BulkWriter) => Promise<T>): Promise<T | null> {
  const storage = (sequelize as unknown as { options: { storage?: string } }).options.storage;
  const takeTurn = writeTurns.get(sequelize);
  if (sequelize.getDialect() !== 'sqlite' || !storage || storage === ':memory:' || !takeTurn) return null;
  const lib = (
    sequelize.connectionManager as unknown as {
      lib: { Database: new (file: string, cb: (err: Error | null) => void) => RawConnection };
    }
  ).lib;

  const release = await takeTurn();
  try {
    const conn = await new Promise<RawConnection>((resolve, reject) => {
      const db: RawConnection = new lib.Database(storage, (err) => (err ? reject(err) : resolve(db)));
    });
    const run = (sql: string, params: unknown[] = []) =>
      new Promise<void>((resolve, reject) => conn.run(sql, params, (err) => (err ? reject(err) : resolve())));
    const writer: BulkWriter = {
      run,
      all: <R>(sql: string, params: unknown[] = []) =>
        new Promise<R[]>((resolve, reject) => conn.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as R[])))),
      prepare: (sql) =>
        new Promise<PreparedWrite>((resolve, reject) => {
          const stmt = conn.prepare(sql, (err) => {
            if (err) return reject(err);
            resolve({
              run: (params) => new Promise<void>((ok, fail) => stmt.run(params, (e) => (e ? fail(e) : ok()))),
              finalize: () => new Promise<void>((ok, fail) => stmt.finalize((e) => (e ? fail(e) : ok()))),
            });
          });
        }),
    };
    try {
      for (const pragma of PRAGMAS) await run(pragma);
      await run('BEGIN IMMEDIATE');
      try {
        const result = await fn(writer);
        await run('COMMIT');
        return result;
      } catch (err) {
        await run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } finally {
      await new Promise<void>((resolve) => conn.close(() => resolve()));
    }
  } finally {
    release();
  }
}
