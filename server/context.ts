import type { Db } from '../models';
import type { CacheBus } from './cache-bus';
import type { Config } from './config';
import type { DatabaseHealth } from './health';
import type { Logger } from './logger';
import type { Mailer } from './mail/mailer';
import type { RateLimits } from './types/domain';

/** What the app is built from. Tests pass their own mailer, clock and logger. */
export interface AppDeps {
  config: Config;
  db: Db;
  logger: Logger;
  mailer: Mailer;
  rateLimits: RateLimits;
  /** The current time; injected so retention and session rules can be tested. */
  clock: () => Date;
  /** With several processes on PostgreSQL: tells the others to empty their page caches. */
  cacheBus?: CacheBus;
  /** Whether the database answers; createApp makes one when none is given. */
  health?: DatabaseHealth;
}
