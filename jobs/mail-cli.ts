import { parseArgs } from 'node:util';
import pino from 'pino';
import { createDb, type Db } from '../models';
import { migrate } from '../models/migrate';
import { loadConfig } from '../server/config';
import { createLogger } from '../server/logger';
import { mailQueueStatus } from '../server/mail/queue';

// `npm run mail -- --status`: the mail queue's counts by state (queued, being sent, given
// up) and the age of the oldest mail waiting. Counts only: never an address. Exit codes:
// 0 done, 1 failed, 2 bad arguments.
export const USAGE = 'Usage: npm run mail -- --status';

/** The whole CLI as a function; tests pass the suite's database. */
export async function mailCli(
  argv: string[],
  out: (line: string) => void,
  err: (line: string) => void,
  injected?: { db: Db; now?: Date },
): Promise<number> {
  let values: { status?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { status: { type: 'boolean' } }, strict: true }));
  } catch (e) {
    err((e as Error).message);
    err(USAGE);
    return 2;
  }
  if (!values.status) {
    err(USAGE);
    return 2;
  }
  let db = injected?.db;
  const opened = !db;
  try {
    if (!db) {
      const config = loadConfig();
      db = createDb(config, createLogger(config.logLevel, pino.destination(2)));
      await migrate(db);
    }
    const s = await mailQueueStatus();
    const now = injected?.now ?? new Date();
    const age = s.oldestQueuedAt ? `${Math.round((now.getTime() - s.oldestQueuedAt.getTime()) / 60_000)} min` : '-';
    out(`queued: ${s.queued}`);
    out(`sending: ${s.sending}`);
    out(`failed: ${s.failed}`);
    out(`oldest waiting: ${age}`);
    return 0;
  } catch (e) {
    err(`Failed: ${(e as Error).message}`);
    return 1;
  } finally {
    if (opened) await db?.close();
  }
}

if (require.main === module) {
  mailCli(
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
