import { loadConfig } from '../server/config';
import { RestoreRefused, restoreSqlite } from './backup';

// `npm run restore -- FILE`: puts a backup made by `npm run backup` in place of the SQLite
// database of DATABASE_URL. Refuses while the board runs on it. Exit codes: 0 done,
// 1 refused or failed, 2 bad arguments.
export const USAGE = 'Usage: npm run restore -- FILE';

export async function restoreCli(argv: string[], out: (l: string) => void, err: (l: string) => void): Promise<number> {
  if (argv.length !== 1 || argv[0].startsWith('-')) {
    err(USAGE);
    return 2;
  }
  const config = loadConfig();
  const storage = config.database.storage;
  if (config.database.dialect !== 'sqlite' || !storage || storage === ':memory:') {
    err('This restores an SQLite database. For PostgreSQL use pg_restore (see "Operating the board" in the README).');
    return 2;
  }
  try {
    await restoreSqlite({ storage, file: argv[0] });
    out(`Restored ${argv[0]} to ${storage}.`);
    // The backup may hold accounts that have become passive since it was taken.
    out('Start the board again; run `npm run purge` now so accounts that became passive since the backup are deleted at once.');
    return 0;
  } catch (e) {
    err(e instanceof RestoreRefused ? `Refused: ${e.message}` : `Restore failed: ${(e as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  restoreCli(
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
