import fs from 'node:fs';
import path from 'node:path';
import sqlite3 from 'sqlite3';

// Backups of the SQLite database, and putting one back.
//
// - A backup is made with VACUUM INTO: a consistent copy of the database as of one read
//   transaction, taken while the board runs (a plain file copy of a live database with
//   its write-ahead log can be torn). It is written under a temporary name, checked with
//   PRAGMA integrity_check, given mode 0600 and only then renamed to its final name.
// - Backups older than BACKUP_RETENTION_DAYS are deleted from the folder each time: the
//   purge deletes an account three months after its last sign-in, and a backup must not
//   keep it for much longer than that.
// - A restore refuses while a server runs on the database: the server keeps a pid file
//   next to the database (<file>.pid) while it runs, and a restore finding a live process
//   behind it stops. Stop the board, restore, start it again.

const PREFIX = 'bostadsbyte-';
const SUFFIX = '.sqlite';

function open(file: string, mode: number): Promise<sqlite3.Database> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, mode, (err) => (err ? reject(err) : resolve(db)));
  });
}
const exec = (db: sqlite3.Database, sql: string) =>
  new Promise<void>((resolve, reject) => db.exec(sql, (e) => (e ? reject(e) : resolve())));
const all = <T>(db: sqlite3.Database, sql: string, params: unknown[] = []) =>
  new Promise<T[]>((resolve, reject) => db.all(sql, params, (e, rows) => (e ? reject(e) : resolve(rows as T[]))));
const close = (db: sqlite3.Database) => new Promise<void>((resolve) => db.close(() => resolve()));

/** The backup's file name for an instant: bostadsbyte-20270101T033000Z.sqlite. */
export function backupName(at: Date): string {
  return `${PREFIX}${at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '')}${SUFFIX}`;
}

function instantOf(name: string): Date | undefined {
  const m = /^bostadsbyte-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z\.sqlite$/.exec(name);
  return m ? new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`) : undefined;
}

/** Checks that a file is a sound SQLite database of the board. */
export async function checkDatabaseFile(file: string): Promise<void> {
  const db = await open(file, sqlite3.OPEN_READONLY);
  try {
    const [check] = await all<{ integrity_check: string }>(db, 'PRAGMA integrity_check');
    if (check?.integrity_check !== 'ok') throw new Error(`${file} fails the integrity check`);
    const tables = await all<{ name: string }>(
      db,
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('users', 'schema_migrations')",
    );
    if (tables.length !== 2) throw new Error(`${file} is not a database of the board`);
  } finally {
    await close(db);
  }
}

export interface BackupResult {
  file: string;
  bytes: number;
  /** Older backups deleted by the retention rule. */
  deleted: string[];
}

export async function backupSqlite(opts: {
  storage: string;
  dir: string;
  retentionDays: number;
  now: Date;
}): Promise<BackupResult> {
  const dir = path.resolve(opts.dir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, backupName(opts.now));
  const partial = `${file}.partial`;
  fs.rmSync(partial, { force: true });
  const previousUmask = process.umask(0o077);
  try {
    const db = await open(opts.storage, sqlite3.OPEN_READWRITE);
    try {
      await exec(db, 'PRAGMA busy_timeout = 10000');
      await new Promise<void>((resolve, reject) => db.run('VACUUM INTO ?', [partial], (e) => (e ? reject(e) : resolve())));
    } finally {
      await close(db);
    }
  } finally {
    process.umask(previousUmask);
  }
  fs.chmodSync(partial, 0o600);
  await checkDatabaseFile(partial);
  fs.renameSync(partial, file);
  const deleted = expireBackups(dir, opts.retentionDays, opts.now).filter((f) => f !== file);
  return { file, bytes: fs.statSync(file).size, deleted };
}

/** Deletes the board's backups in `dir` older than `retentionDays`; returns their paths. */
export function expireBackups(dir: string, retentionDays: number, now: Date): string[] {
  const limit = now.getTime() - retentionDays * 24 * 3600_000;
  const deleted: string[] = [];
  for (const name of fs.readdirSync(dir)) {
    const at = instantOf(name);
    if (at && at.getTime() < limit) {
      fs.rmSync(path.join(dir, name), { force: true });
      deleted.push(path.join(dir, name));
    }
  }
  return deleted;
}

/** The pid file a running server keeps next to its SQLite database. */
export function pidFileOf(storage: string): string {
  return `${storage}.pid`;
}

/** The pid of a live server on this database, or undefined. */
export function runningServer(storage: string): number | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidFileOf(storage), 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as { code?: string }).code === 'EPERM' ? pid : undefined;
  }
}

export class RestoreRefused extends Error {}

/** Puts a backup in place of the database; the board must not be running on it. */
export async function restoreSqlite(opts: { storage: string; file: string }): Promise<void> {
  const pid = runningServer(opts.storage);
  if (pid) throw new RestoreRefused(`The board is running on ${opts.storage} (process ${pid}); stop it first.`);
  await checkDatabaseFile(opts.file);
  const incoming = `${opts.storage}.restoring`;
  fs.copyFileSync(opts.file, incoming);
  fs.chmodSync(incoming, 0o600);
  const fd = fs.openSync(incoming, 'r');
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  // The old database's write-ahead log belongs to the old file: it must not be replayed
  // onto the restored one.
  for (const extra of ['-wal', '-shm']) fs.rmSync(`${opts.storage}${extra}`, { force: true });
  fs.renameSync(incoming, opts.storage);
}
