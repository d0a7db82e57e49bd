import { Cron } from 'croner';
import type { AppDeps } from '../server/context';
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
    { name: 'cleanup', protect: true, catch: (err: unknown) => logger.error({ err: { name: (err as Error)?.name } }, 'cleanup failed') },
    async () => {
      await runCleanup({ now: deps.clock(), db: deps.db, config, logger });
    },
  );
  if (!config.purge.enabled) {
    logger.info('purge schedule disabled (PURGE_ENABLED=false)');
    return async () => {
      cleanup.stop();
    };
  }
  const stopping = new AbortController();
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
        now: deps.clock(), db: deps.db, logger, config, clock: deps.clock, signal: stopping.signal,
      });
      await running;
    },
  );
  logger.info({ schedule: config.purge.schedule, timezone: config.purge.timezone, next: job.nextRun()?.toISOString() }, 'purge scheduled');
  return async () => {
    job.stop();
    cleanup.stop();
    stopping.abort();
    await running?.catch(() => undefined);
  };
}
