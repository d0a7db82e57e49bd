import type { Db } from '../models';
import type { Config } from '../server/config';
import type { Logger } from '../server/logger';
import { pruneOutbox } from '../server/mail/outbox';
import { removeExpiredLimits } from '../server/services/rate-limits';

export interface CleanupResult {
  /** Rate-limit counters whose window had passed (they hold HMACs of IPs and accounts). */
  rateLimitRows: number;
  /** .eml files older than a week in the development outbox. */
  outboxFiles: number;
}

// Hourly housekeeping (jobs/scheduler.ts): nothing here is needed once its time has
// passed, and all of it is about people. Safe to run in every app process at once.
export async function runCleanup(deps: {
  now: Date;
  db: Db;
  config: Pick<Config, 'outboxDir' | 'smtpUrl'>;
  logger?: Logger;
}): Promise<CleanupResult> {
  const rateLimitRows = await removeExpiredLimits(deps.db, deps.now);
  const outboxFiles = deps.config.smtpUrl ? 0 : pruneOutbox(deps.config.outboxDir, deps.now);
  deps.logger?.info({ rateLimitRows, outboxFiles }, 'cleanup done');
  return { rateLimitRows, outboxFiles };
}
