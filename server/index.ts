// node-sqlite3 and argon2 both work in libuv's thread pool; four threads are too few for a
// busy server. This must run before anything uses the pool.
process.env.UV_THREADPOOL_SIZE ??= '16';

import fs from 'node:fs';
import http from 'node:http';
import { pidFileOf } from '../jobs/backup';
import { startScheduler } from '../jobs/scheduler';
import { createDb } from '../models';
import { migrate } from '../models/migrate';
import { createApp } from './app';
import { createCacheBus } from './cache-bus';
import { loadConfig, type Config } from './config';
import { createDatabaseHealth } from './health';
import { createLogger } from './logger';
import { createMailer } from './mail/mailer';
import { startMailWorker } from './mail/queue';
import { createRateLimits } from './services/rate-limits';
import { checkDataDir, listen, startupProblem } from './startup';

// Opens the database, runs migrations, listens, starts the purge schedule and the mail
// worker, and shuts down cleanly on SIGTERM/SIGINT.
async function main(): Promise<void> {
  let config: Config | undefined;
  try {
    config = loadConfig();
    checkDataDir(config);
  } catch (err) {
    throw startupProblem(err, config);
  }
  const logger = createLogger(config.logLevel);
  for (const warning of config.warnings) logger.warn(warning);
  let db: ReturnType<typeof createDb>;
  try {
    // Creates the SQLite file (mode 0600) and its folder: a problem there is a start-up error too.
    db = createDb(config, logger);
  } catch (err) {
    throw startupProblem(err, config);
  }
  try {
    const applied = await migrate(db);
    if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');
    await db.optimize();
  } catch (err) {
    await db.close().catch(() => undefined);
    throw startupProblem(err, config);
  }
  const rateLimits = await createRateLimits(db, config);
  const mailer = createMailer(config);
  // On PostgreSQL other processes may share the database: their changes empty this
  // process's page cache and ours theirs.
  // Until it listens the page cache serves nothing, so start-up need not wait for it long.
  const cacheBus = db.dialect === 'postgres' ? createCacheBus(config.database.url, logger) : undefined;
  if (cacheBus) await Promise.race([cacheBus.ready(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
  const health = createDatabaseHealth(db, logger, config.database.storage);
  const deps = { config, db, logger, mailer, rateLimits, cacheBus, clock: () => new Date(), health };
  const board = createApp(deps);

  const server = http.createServer(board.app);
  try {
    await listen(server, config.port);
  } catch (err) {
    board.close();
    await rateLimits.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    throw startupProblem(err, config);
  }
  health.start(2_000);
  // While it runs, the server names itself next to its SQLite file: `npm run restore`
  // refuses to replace a database a live process is using.
  const pidFile =
    config.database.storage && config.database.storage !== ':memory:' ? pidFileOf(config.database.storage) : undefined;
  if (pidFile) fs.writeFileSync(pidFile, `${process.pid}\n`, { mode: 0o600 });
  const stopScheduler = startScheduler(deps);
  const mailWorker = startMailWorker({ mailer, logger, clock: deps.clock });
  logger.info({ port: config.port, dialect: db.dialect, mail: config.smtpUrl ? 'smtp' : 'outbox' }, 'board listening');

  // SIGTERM: stop accepting connections, let requests in flight finish, also those whose
  // client has gone (up to SHUTDOWN_TIMEOUT_SECONDS, then their connections are closed),
  // let a running purge batch commit, stop the mail worker after its current pass, close
  // the database, exit 0.
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, timeoutMs: config.shutdownTimeoutMs }, 'shutting down');
    // Anything still hanging long after the limit (a stuck database) ends the process anyway.
    setTimeout(() => {
      logger.error('shutdown did not finish in time');
      process.exit(1);
    }, config.shutdownTimeoutMs + 30_000).unref();
    const drained = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    let limit: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      limit = setTimeout(() => resolve(true), config.shutdownTimeoutMs);
    });
    // Drained connections are not enough: a request whose client went away is still being
    // handled, and the database must stay open until it has answered.
    const finished = Promise.all([drained, board.settled()]).then(() => false);
    const [late] = await Promise.all([Promise.race([finished, timedOut]), stopScheduler()]);
    clearTimeout(limit);
    if (late) {
      logger.warn('requests still running at the shutdown limit: closing their connections');
      server.closeAllConnections();
    }
    // Closing the transport first ends a send that hangs on the mail server; that mail goes
    // back to the queue for the next start.
    const workerStopped = mailWorker.stop();
    mailer.close?.();
    await workerStopped;
    board.close();
    await health.stop();
    await rateLimits.close();
    await cacheBus?.close();
    await db.close();
    if (pidFile) fs.rmSync(pidFile, { force: true });
    logger.info('stopped');
    process.exit(0);
  };
  // A shutdown that fails half-way (the database will not close) still ends the process,
  // with exit code 1 as an unhandled failure would, but with a log line saying so.
  const shutdownOrExit = (signal: string) => {
    shutdown(signal).catch((err: unknown) => {
      logger.error({ err: { name: (err as Error)?.name } }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => shutdownOrExit('SIGTERM'));
  process.on('SIGINT', () => shutdownOrExit('SIGINT'));
}

main().catch((err: unknown) => {
  // Start-up failures are one plain line naming the problem and the setting.
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
