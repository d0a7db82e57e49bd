// node-sqlite3 and argon2 both work in libuv's thread pool; four threads are too few for a
// busy server. This must run before anything uses the pool.
process.env.UV_THREADPOOL_SIZE ??= '16';

import http from 'node:http';
import { createDb } from '../models';
import { migrate } from '../models/migrate';
import { createApp } from './app';
import { createCacheBus } from './cache-bus';
import { loadConfig } from './config';
import { createLogger } from './logger';
import { createMailer } from './mail/mailer';
import { createRateLimits } from './services/rate-limits';

// Opens the database, runs migrations, listens, and shuts down cleanly on SIGTERM/SIGINT.
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  for (const warning of config.warnings) logger.warn(warning);
  const db = createDb(config, logger);
  const applied = await migrate(db);
  if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');
  await db.optimize();
  const rateLimits = await createRateLimits(db, config);
  const mailer = createMailer(config);
  // On PostgreSQL other processes may share the database: their changes empty this
  // process's page cache and ours theirs.
  // Until it listens the page cache serves nothing, so start-up need not wait for it long.
  const cacheBus = db.dialect === 'postgres' ? createCacheBus(config.database.url, logger) : undefined;
  if (cacheBus) await Promise.race([cacheBus.ready(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
  const deps = { config, db, logger, mailer, rateLimits, cacheBus, clock: () => new Date() };
  const board = createApp(deps);
  const stopScheduler = await startSchedulerIfPresent(deps);

  const server = http.createServer(board.app);
  server.listen(config.port, () => {
    logger.info({ port: config.port, dialect: db.dialect, mail: config.smtpUrl ? 'smtp' : 'outbox' }, 'board listening');
  });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stopScheduler();
    server.close(() => {
      board.close();
      void rateLimits.close().then(() => cacheBus?.close()).then(() => db.close()).then(() => process.exit(0));
    });
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

// The purge scheduler arrives with the purge job (jobs/scheduler.ts).
async function startSchedulerIfPresent(deps: Parameters<typeof createApp>[0]): Promise<() => void> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('../jobs/scheduler') as { startScheduler?: (d: typeof deps) => () => void };
    return mod.startScheduler ? mod.startScheduler(deps) : () => undefined;
  } catch (err) {
    if ((err as { code?: string }).code === 'MODULE_NOT_FOUND') return () => undefined;
    throw err;
  }
}

main().catch((err: unknown) => {
  // Start-up failures (bad configuration, unreachable database) are printed plainly.
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
