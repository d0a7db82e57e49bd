import cluster, { type Worker } from 'node:cluster';
import os from 'node:os';
import path from 'node:path';
import { createDb } from '../models';
import { migrate } from '../models/migrate';
import { loadConfig } from './config';
import { createLogger } from './logger';

// `npm run start:cluster`: several app processes on one machine sharing one port (node's
// cluster module hands each new connection to a worker), for PostgreSQL only: what a
// visitor could tell apart between processes is shared through the database (sessions,
// rate limits, the purge lock) and the page-cache bus (cache-bus.ts). SQLite has a
// single writer and keeps its search limit in memory, so it stays one process.
//
// The primary only migrates once (workers then find nothing to do), forks WORKERS
// workers running server/index.ts, replaces a worker that dies, and passes SIGTERM /
// SIGINT on so each finishes its requests.

const RESTART_PAUSE_MS = 1_000;

async function primary(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  if (config.database.dialect !== 'postgres') {
    console.error(
      'npm run start:cluster needs PostgreSQL (DATABASE_URL=postgres://…); on SQLite run one process with npm start.',
    );
    process.exit(1);
  }
  const db = createDb(config, logger);
  const applied = await migrate(db);
  if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');
  await db.close();

  const count = config.workers || os.availableParallelism();
  // Run the entry next to this file: dist/server/index.js when built, index.ts under tsx.
  cluster.setupPrimary({ exec: path.join(__dirname, `index${path.extname(__filename)}`) });
  let stopping = false;
  // glibc keeps a thread's large blocks (argon2's 19 MiB) after they are freed unless
  // blocks that size are mapped and unmapped on their own (README, "Memory").
  const fork = () => cluster.fork({ MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_ ?? '1048576' });
  cluster.on('exit', (worker: Worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    logger.error({ worker: worker.id, code, signal }, 'app worker exited; starting another');
    setTimeout(fork, RESTART_PAUSE_MS).unref();
  });
  for (let i = 0; i < count; i++) fork();
  logger.info({ workers: count, port: config.port }, 'cluster started');

  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping workers');
    const workers = Object.values(cluster.workers ?? {});
    if (workers.length === 0) process.exit(0);
    for (const worker of workers) worker?.process.kill('SIGTERM');
    setTimeout(() => process.exit(1), 15_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

primary().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
