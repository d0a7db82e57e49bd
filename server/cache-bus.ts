import crypto from 'node:crypto';
import type { Db } from '../models';
import type { Config } from './config';
import type { Logger } from './logger';
import { watchShownWrites } from './middleware/page-cache';

// Several app processes on one PostgreSQL each keep visitors' pages in memory
// (middleware/page-cache.ts). When one of them, or a CLI, commits a change those pages
// show, it says so on a PostgreSQL channel (NOTIFY) and every other process empties its
// cache (LISTEN). The listener has a connection of its own, outside Sequelize's pool:
// a LISTEN lasts as long as its connection, and a pooled one would be handed to other
// queries. If that connection drops, the bus says it is down (the cache then serves
// nothing), reconnects with a growing pause, and tells its subscribers to start from an
// empty cache, since notices sent meanwhile were missed.

// The few parts of the pg driver used here (the project has no @types/pg; Sequelize
// loads the same driver for its PostgreSQL dialect).
interface PgClient {
  connect(): Promise<void>;
  query(sql: string, values?: unknown[]): Promise<unknown>;
  end(): Promise<void>;
  on(event: 'error', fn: (err: Error) => void): void;
  on(event: 'end', fn: () => void): void;
  on(event: 'notification', fn: (msg: { channel: string; payload?: string }) => void): void;
  removeAllListeners(event: string): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Client } = require('pg') as { Client: new (options: { connectionString: string; application_name: string }) => PgClient };

const CHANNEL = 'board_page_cache';
const PUBLISH_TIMEOUT_MS = 2_000;

export interface CacheBus {
  /** True while this process is listening: only then may a cache trust its pages. */
  readonly connected: boolean;
  /** Resolves once the first connection listens (or the bus is closed). */
  ready(): Promise<void>;
  /**
   * Tells every other process that a change was committed. Resolves when PostgreSQL has
   * taken the notice (or it could not: it is then sent after reconnecting); never rejects.
   */
  publish(): Promise<void>;
  /** Calls fn when another process published, and after a reconnection. */
  subscribe(fn: () => void): () => void;
  close(): Promise<void>;
}

export interface CacheBusOptions {
  /** First pause before reconnecting, doubled up to 30 s. */
  retryMs?: number;
}

export function createCacheBus(url: string, logger: Logger, opts: CacheBusOptions = {}): CacheBus {
  // Our own notices come back to us too; the payload says whose they are.
  const self = crypto.randomUUID();
  const subscribers = new Set<() => void>();
  const firstRetry = opts.retryMs ?? 500;
  let client: PgClient | undefined;
  let listening = false;
  let closed = false;
  let pending = false;
  let retry = firstRetry;
  let timer: NodeJS.Timeout | undefined;
  let markReady!: () => void;
  const readyPromise = new Promise<void>((resolve) => (markReady = resolve));

  const emit = () => {
    for (const fn of subscribers) fn();
  };

  const lost = (conn: PgClient, reason: string) => {
    if (client !== conn) return;
    client = undefined;
    const was = listening;
    listening = false;
    conn.removeAllListeners('notification');
    conn.end().catch(() => undefined);
    if (closed) return;
    if (was) logger.warn({ reason }, 'page cache bus lost its connection; reconnecting');
    emit();
    schedule();
  };

  const schedule = () => {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      // Fire and forget: connect() catches its own failures and schedules the next try.
      void connect();
    }, retry);
    timer.unref();
    retry = Math.min(retry * 2, 30_000);
  };

  const send = async (conn: PgClient): Promise<void> => {
    let timeout: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        conn.query('SELECT pg_notify($1, $2)', [CHANNEL, self]),
        new Promise((_, reject) => {
          timeout = setTimeout(() => reject(new Error('timed out')), PUBLISH_TIMEOUT_MS);
        }),
      ]);
    } catch (err) {
      pending = true;
      logger.warn({ reason: (err as Error).message }, 'page cache bus could not publish; will retry after reconnecting');
    } finally {
      clearTimeout(timeout);
    }
  };

  async function connect(): Promise<void> {
    if (closed) return;
    const conn = new Client({ connectionString: url, application_name: 'board-page-cache' });
    client = conn;
    conn.on('error', (err) => lost(conn, err.message));
    conn.on('end', () => lost(conn, 'connection ended'));
    conn.on('notification', (msg) => {
      if (msg.channel === CHANNEL && msg.payload !== self) emit();
    });
    try {
      await conn.connect();
      await conn.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      lost(conn, (err as Error).message);
      return;
    }
    if (client !== conn) return;
    if (closed) {
      await conn.end().catch(() => undefined);
      return;
    }
    listening = true;
    retry = firstRetry;
    emit();
    markReady();
    if (pending) {
      pending = false;
      await send(conn);
    }
  }

  // In the background: the bus works (emptying only this process's cache) until LISTEN
  // is up; connect() catches its own failures and retries.
  void connect();

  return {
    get connected() {
      return listening;
    },
    ready: () => readyPromise,
    async publish() {
      if (!client || !listening) {
        pending = true;
        return;
      }
      await send(client);
    },
    subscribe(fn) {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
    async close() {
      closed = true;
      markReady();
      if (timer) clearTimeout(timer);
      timer = undefined;
      const conn = client;
      client = undefined;
      listening = false;
      subscribers.clear();
      if (conn) await conn.end().catch(() => undefined);
    },
  };
}

/**
 * For a command-line tool on PostgreSQL: announces each committed write to the tables
 * visitors' pages show, so running app processes drop their cached pages at once.
 * Returns the function that stops announcing (call it before closing the database).
 */
export async function announceWrites(db: Db, config: Pick<Config, 'database'>, logger: Logger): Promise<() => Promise<void>> {
  if (db.dialect !== 'postgres') return async () => undefined;
  const bus = createCacheBus(config.database.url, logger);
  // The database answered a moment ago; if the bus cannot listen within seconds the tool
  // goes on, and the caches catch up after their lifetime.
  await Promise.race([bus.ready(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
  const unwatch = watchShownWrites(
    db.sequelize,
    'announceWrites',
    () => undefined,
    () => bus.publish(),
  );
  return async () => {
    unwatch();
    await bus.close();
  };
}
