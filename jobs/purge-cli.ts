import { parseArgs } from 'node:util';
import pino from 'pino';
import { createDb, type Db } from '../models';
import { migrate } from '../models/migrate';
import { announceWrites } from '../server/cache-bus';
import { loadConfig, type Config } from '../server/config';
import { createLogger, type Logger } from '../server/logger';
import { createMailer, type Mailer } from '../server/mail/mailer';
import { deliverDue } from '../server/mail/queue';
import { runPurge, type PurgeResult } from './purge';

// `npm run purge -- [--dry-run] [--now ISO-8601]`: runs the purge job once, now.
//   --dry-run   count what would be deleted and e-mailed; change nothing, send nothing
//   --now ISO   evaluate "three months ago" from this instant instead of the clock
//               (a date, or a date and time; without a zone it is read as UTC)
// Output goes to stdout, log lines to stderr; the last line says how many accounts were
// deleted (or would be). Exit codes: 0 done (also when skipped because another run holds
// the lock), 1 the run failed, 2 bad arguments.

export const USAGE = 'Usage: npm run purge -- [--dry-run] [--now ISO-8601]';

/** Parses an ISO-8601 instant; a missing zone means UTC. Undefined if it is not one. */
export function parseInstant(value: string): Date | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)(Z|[+-]\d{2}:?\d{2})?)?$/.exec(value);
  if (!m) return undefined;
  const [, day, time = '00:00', zone = 'Z'] = m;
  const offset = zone === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const date = new Date(`${day}T${time}${offset}`);
  if (Number.isNaN(date.getTime())) return undefined;
  // JavaScript rolls 2027-02-30 over to 2 March; refuse days that do not exist.
  const [y, mo, d] = day.split('-').map(Number);
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return undefined;
  return date;
}

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

/** What the CLI runs against; tests pass the suite's database, mailer and logger. */
export interface CliDeps {
  config: Config;
  db: Db;
  mailer: Mailer;
  logger: Logger;
  clock?: () => Date;
}

const plural = (n: number) => `${n} account${n === 1 ? '' : 's'}`;

export function summarise(result: PurgeResult): string[] {
  const lines = [`Purge as of ${result.asOf.toISOString()}${result.dryRun ? ' (dry run)' : ''}, run #${result.runId}`];
  if (result.outcome === 'skipped') {
    lines.push(`Skipped: another run holds the lock. Deleted 0 accounts.`);
    return lines;
  }
  lines.push(result.dryRun ? `Warning e-mails that would be sent: ${result.warned}` : `Warning e-mails queued: ${result.warned}`);
  if (result.error && result.outcome === 'ok') lines.push(`Note: ${result.error}`);
  if (result.outcome === 'failed') {
    lines.push(`Failed: ${result.error}. Deleted ${plural(result.deleted)} before the failure; the next run finishes the job.`);
  } else {
    lines.push(result.dryRun ? `Dry run: would delete ${plural(result.deleted)}.` : `Deleted ${plural(result.deleted)}.`);
  }
  return lines;
}

/** The whole CLI as a function: returns the exit code instead of exiting. */
export async function purgeCli(argv: string[], io: CliIo, injected?: CliDeps): Promise<number> {
  let values: { 'dry-run'?: boolean; now?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { 'dry-run': { type: 'boolean' }, now: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: false,
      strict: true,
    }));
  } catch (err) {
    io.err((err as Error).message);
    io.err(USAGE);
    return 2;
  }
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  let asOf: Date | undefined;
  if (values.now !== undefined) {
    asOf = parseInstant(values.now);
    if (!asOf) {
      io.err(`--now must be an ISO-8601 date or date and time, e.g. 2027-03-01T03:30:00Z (got "${values.now}")`);
      io.err(USAGE);
      return 2;
    }
  }

  let deps = injected;
  let opened: Db | undefined;
  let stopAnnouncing = async (): Promise<void> => undefined;
  try {
    if (!deps) {
      const config = loadConfig();
      // Log lines go to stderr so stdout stays the report, its last line the count.
      const logger = createLogger(config.logLevel, pino.destination(2));
      opened = createDb(config, logger);
      await migrate(opened);
      // Deleted accounts' listings leave the visitors' pages of running app processes at once.
      stopAnnouncing = await announceWrites(opened, config, logger);
      deps = { config, db: opened, logger, mailer: createMailer(config) };
    }
    const clock = deps.clock ?? (() => new Date());
    const result = await runPurge({
      now: asOf ?? clock(),
      db: deps.db,
      logger: deps.logger,
      config: deps.config,
      dryRun: values['dry-run'] ?? false,
      clock,
    });
    // The warnings are in the mail queue; deliver them now rather than wait for a running
    // server's worker (the claims keep the two from sending one twice). What the mail
    // server refuses now stays queued for the server's retries.
    if (result.warned > 0 && !result.dryRun) {
      for (let pass = 0; pass < 1000; pass += 1) {
        const r = await deliverDue({ now: clock(), mailer: deps.mailer, logger: deps.logger });
        if (r.claimed === 0 || r.sent === 0) break;
      }
      deps.mailer.close?.();
    }
    for (const line of summarise(result)) io.out(line);
    return result.outcome === 'failed' ? 1 : 0;
  } catch (err) {
    io.out(`Failed: ${(err as Error)?.message ?? String(err)}. Deleted 0 accounts.`);
    return 1;
  } finally {
    await stopAnnouncing();
    if (opened) await opened.close();
  }
}

if (require.main === module) {
  purgeCli(process.argv.slice(2), { out: (l) => console.log(l), err: (l) => console.error(l) })
    .then((code) => {
      process.exitCode = code;
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
