import { parseArgs } from 'node:util';
import { loadConfig } from '../server/config';
import { backupSqlite } from './backup';

// `npm run backup -- --to DIR`: a consistent copy of the SQLite database while the board
// runs (jobs/backup.ts), mode 0600, and the folder's backups older than
// BACKUP_RETENTION_DAYS deleted. Exit codes: 0 done, 1 failed, 2 bad arguments or
// PostgreSQL (use pg_dump, see the README).
export const USAGE = 'Usage: npm run backup -- --to DIR';

export async function backupCli(
  argv: string[],
  out: (l: string) => void,
  err: (l: string) => void,
  now = new Date(),
): Promise<number> {
  let to: string | undefined;
  try {
    ({
      values: { to },
    } = parseArgs({ args: argv, options: { to: { type: 'string' } }, strict: true }));
  } catch (e) {
    err((e as Error).message);
  }
  if (!to) {
    err(USAGE);
    return 2;
  }
  const config = loadConfig();
  if (config.database.dialect !== 'sqlite' || !config.database.storage || config.database.storage === ':memory:') {
    err(
      'This backs up an SQLite database. For PostgreSQL use pg_dump with the same retention (see "Operating the board" in the README).',
    );
    return 2;
  }
  try {
    const result = await backupSqlite({
      storage: config.database.storage,
      dir: to,
      retentionDays: config.backupRetentionDays,
      now,
    });
    for (const old of result.deleted) out(`Deleted old backup ${old}`);
    out(
      `Backup written to ${result.file} (${result.bytes} bytes); backups older than ${config.backupRetentionDays} days deleted: ${result.deleted.length}.`,
    );
    return 0;
  } catch (e) {
    err(`Backup failed: ${(e as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  backupCli(
    process.argv.slice(2),
    (l) => console.log(l),
    (l) => console.error(l),
  )
    .then((code) => {
      process.exitCode = code;
    })
    .catch((err: unknown) => {
      // Each CLI reports its own failures; this is for the unexpected ones.
      console.error(err);
      process.exitCode = 1;
    });
}
