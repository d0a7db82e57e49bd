import { parseArgs } from 'node:util';
import pino from 'pino';
import { createDb, type Db } from '../models';
import { migrate } from '../models/migrate';
import { loadConfig } from '../server/config';
import { createLogger } from '../server/logger';
import { createMailer } from '../server/mail/mailer';
import { deliverDue } from '../server/mail/queue';
import { runAlerts, type AlertsResult } from './alerts';
import { parseInstant, type CliDeps, type CliIo } from './purge-cli';

// `npm run alerts -- [--dry-run] [--now ISO-8601]`: runs the daily alert job once, now.
//   --dry-run   count the e-mails that would be sent; change nothing, send nothing
//   --now ISO   the as-of instant (its Helsinki day is the day of the one-a-day cap)
// Output goes to stdout, log lines to stderr; the last line is `Sent N alert e-mails.`
// (`Dry run: would send N alert e-mails.`). Exit codes: 0 done (also when skipped because
// another run holds the lock), 1 the run failed, 2 bad arguments.

export const USAGE = 'Usage: npm run alerts -- [--dry-run] [--now ISO-8601]';

export function summarise(result: AlertsResult): string[] {
  const lines = [`Alerts as of ${result.asOf.toISOString()}${result.dryRun ? ' (dry run)' : ''}`];
  if (result.outcome === 'skipped') {
    lines.push('Skipped: another run holds the lock. Sent 0 alert e-mails.');
    return lines;
  }
  lines.push(`Tenants with alerts looked at: ${result.checked}`);
  lines.push(
    `New two-way swaps: ${result.pairs}, three-way swaps: ${result.rings}, listings for saved searches: ${result.listings}`,
  );
  if (result.outcome === 'failed') {
    lines.push(`Failed: ${result.error}. Sent ${result.sent} alert e-mails before the failure; the next run carries on.`);
  } else {
    lines.push(result.dryRun ? `Dry run: would send ${result.sent} alert e-mails.` : `Sent ${result.sent} alert e-mails.`);
  }
  return lines;
}

/** The whole CLI as a function: returns the exit code instead of exiting. */
export async function alertsCli(argv: string[], io: CliIo, injected?: CliDeps): Promise<number> {
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
      io.err(`--now must be an ISO-8601 date or date and time, e.g. 2027-03-01T07:00:00Z (got "${values.now}")`);
      io.err(USAGE);
      return 2;
    }
  }

  let deps = injected;
  let opened: Db | undefined;
  try {
    if (!deps) {
      const config = loadConfig();
      // Log lines go to stderr so stdout stays the report, its last line the count.
      const logger = createLogger(config.logLevel, pino.destination(2));
      opened = createDb(config, logger);
      await migrate(opened);
      deps = { config, db: opened, logger, mailer: createMailer(config) };
    }
    const clock = deps.clock ?? (() => new Date());
    const result = await runAlerts({
      now: asOf ?? clock(),
      db: deps.db,
      logger: deps.logger,
      config: deps.config,
      dryRun: values['dry-run'] ?? false,
      clock,
    });
    // The alerts are in the mail queue; deliver them now rather than wait for a running
    // server's worker (the claims keep the two from sending one twice). What the mail
    // server refuses now stays queued for the server's retries.
    if (result.sent > 0 && !result.dryRun) {
      for (let pass = 0; pass < 100_000; pass += 1) {
        const r = await deliverDue({ now: clock(), mailer: deps.mailer, logger: deps.logger });
        if (r.claimed === 0 || r.sent === 0) break;
      }
      deps.mailer.close?.();
    }
    for (const line of summarise(result)) io.out(line);
    return result.outcome === 'failed' ? 1 : 0;
  } catch (err) {
    io.out(`Failed: ${(err as Error)?.message ?? String(err)}. Sent 0 alert e-mails.`);
    return 1;
  } finally {
    if (opened) await opened.close();
  }
}

if (require.main === module) {
  alertsCli(process.argv.slice(2), { out: (l) => console.log(l), err: (l) => console.error(l) })
    .then((code) => {
      process.exitCode = code;
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
