import fs from 'node:fs';
import path from 'node:path';
import type http from 'node:http';
import { ConfigError, type Config } from './config';

// What can stop the server from starting, said in one line that names the problem and the
// setting to change — never a stack trace. server/index.ts prints it and exits 1.

export class StartupError extends Error {}

/** data/ must exist and be writable (generated secrets, the outbox, the SQLite file). */
export function checkDataDir(config: Config): void {
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const probe = path.join(config.dataDir, `.write-test-${process.pid}`);
  fs.writeFileSync(probe, '');
  fs.rmSync(probe, { force: true });
}

/** Listens, or rejects with the listen error (port in use, not allowed). */
export function listen(server: http.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  ENOTDIR: 'a part of the path is not a folder',
  ENOENT: 'no such file or folder',
  EEXIST: 'a file stands where its folder should be',
  SQLITE_CANTOPEN: 'the file cannot be opened',
  SQLITE_FULL: 'the disk is full',
  SQLITE_NOTADB: 'the file is not an SQLite database',
  SQLITE_CORRUPT: 'the database file is damaged',
  SQLITE_READONLY: 'the database is read-only',
  SQLITE_IOERR: 'a disk error',
  SQLITE_BUSY: 'another program holds a lock on it',
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  ETIMEDOUT: 'connection timed out',
  '28P01': 'the password was refused',
  '28000': 'access refused',
  '3D000': 'no such database',
};

function codeOf(err: unknown): string | undefined {
  for (
    let e = err as { code?: string; parent?: unknown; original?: unknown } | undefined, depth = 0;
    e && depth < 4;
    depth += 1
  ) {
    if (typeof e.code === 'string') return e.code;
    e = (e.parent ?? e.original) as typeof e;
  }
  return undefined;
}

/** Where the database is, without a password. */
function describeDatabase(config: Config): string {
  if (config.database.dialect === 'sqlite') return config.database.storage ?? 'sqlite';
  try {
    const url = new URL(config.database.url);
    return `postgres://${url.hostname}:${url.port || 5432}${url.pathname}`;
  } catch {
    return 'PostgreSQL';
  }
}

/** Turns a start-up failure into one line naming the problem and the setting. */
export function startupProblem(err: unknown, config?: Config): StartupError {
  if (err instanceof StartupError) return err;
  if (err instanceof ConfigError) return new StartupError(err.message);
  const e = err as { code?: string; syscall?: string; path?: string; message?: string; name?: string };
  const code = codeOf(err) ?? '';
  const reason = REASONS[code] ?? (code || e?.name || 'unknown error');
  if (e?.syscall === 'listen' || code === 'EADDRINUSE') {
    const port = config?.port ?? '?';
    if (code === 'EADDRINUSE')
      return new StartupError(`Cannot listen: port ${port} is already in use (set PORT to a free port).`);
    return new StartupError(`Cannot listen on port ${port}: ${reason} (PORT).`);
  }
  if (e?.path && ['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'ENOTDIR', 'ENOENT'].includes(code)) {
    const where = config?.dataDir ?? path.dirname(e.path);
    return new StartupError(`Cannot write to the data folder ${where}: ${reason} (DATA_DIR).`);
  }
  if (config) {
    return new StartupError(`Cannot open the database ${describeDatabase(config)}: ${reason} (DATABASE_URL).`);
  }
  return new StartupError(`Cannot start: ${reason}.`);
}
