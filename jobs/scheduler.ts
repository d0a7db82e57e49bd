import { Cron } from 'croner';
import type { AppDeps } from '../server/context';
import { runAlerts } from './alerts';
import { runCleanup } from './cleanup';
import { runPurge } from './purge';

// When the purge runs inside the server: PURGE_SCHEDULE (cron, default "30 3 * * *") in
// PURGE_TIMEZONE (default Europe/Helsinki), unless PURGE_ENABLED=false. Started by
// server/index.ts, never by the tests. With several app servers every one of them fires;
// the lease in job_locks lets one run and records the others as "skipped".
// Returns a function that stops the schedule (used on shutdown): a run in progress lets
// its current batch commit and stops; the next run finishes the job.
export function startScheduler(deps: AppDeps): () => Promise<void> {
  const { config, logger } = deps;
  // Expired rate-limit counters and old outbox mails, every hour at :17, always.
  const cleanup = new Cron(
    '17 * * * *',
    {
      name: 'cleanup',
      protect: true,
      catch: (err: unknown) => logger.error({ err: { name: (err as Error)?.name } }, 'cleanup failed'),
    },
    async () => {
      await runCleanup({ now: deps.clock(), db: deps.db, config, logger });
    },
  );
  const stopping = new AbortController();
  const stopAlerts = scheduleAlerts(deps, stopping.signal);
  if (!config.purge.enabled) {
    logger.info('purge schedule disabled (PURGE_ENABLED=false)');
    return async () => {
      cleanup.stop();
      stopping.abort();
      await stopAlerts();
    };
  }
  let running: Promise<unknown> | undefined;
  const job = new Cron(
    config.purge.schedule,
    {
      name: 'purge',
      timezone: config.purge.timezone,
      // A run still going when the next one is due is left alone (the lease guards
      // other processes; this guards this one).
      protect: true,
      // runPurge records its own failures; this catches what happens before it can (no database).
      catch: (err: unknown) => logger.error({ err: { name: (err as Error)?.name } }, 'scheduled purge failed'),
    },
    async () => {
      running = runPurge({
        now: deps.clock(),
        db: deps.db,
        logger,
        config,
        clock: deps.clock,
        signal: stopping.signal,
      });
      await running;
    },
  );
  logger.info(
    { schedule: config.purge.schedule, timezone: config.purge.timezone, next: job.nextRun()?.toISOString() },
    'purge scheduled',
  );
  return async () => {
    job.stop();
    cleanup.stop();
    stopping.abort();
    await Promise.all([running?.catch(() => undefined), stopAlerts()]);
  };
}

// The daily alert e-mails (jobs/alerts.ts): ALERTS_SCHEDULE (cron, default "0 7 * * *")
// in ALERTS_TIMEZONE (Europe/Helsinki), unless ALERTS_ENABLED=false. Every server fires;
// the lease in job_locks lets one run, and the per-tenant daily claim makes a second
// e-mail the same day impossible anyway. Returns a function that waits for a run in
// progress (which stops after its current batch once `signal` is aborted).
function scheduleAlerts(deps: AppDeps, signal: AbortSignal): () => Promise<void> {
  const { config, logger } = deps;
  if (!config.alerts.enabled) {
    logger.info('alert schedule disabled (ALERTS_ENABLED=false)');
    return async () => undefined;
  }
  let running: Promise<unknown> | undefined;
  const job = new Cron(
    config.alerts.schedule,
    {
      name: 'alerts',
      timezone: config.alerts.timezone,
      protect: true,
      catch: (err: unknown) => logger.error({ err: { name: (err as Error)?.name } }, 'scheduled alerts failed'),
    },
    async () => {
      running = runAlerts({ now: deps.clock(), db: deps.db, logger, config, clock: deps.clock, signal });
      await running;
    },
  );
  logger.info(
    { schedule: config.alerts.schedule, timezone: config.alerts.timezone, next: job.nextRun()?.toISOString() },
    'alerts scheduled',
  );
  return async () => {
    job.stop();
    await running?.catch(() => undefined);
  };
}
