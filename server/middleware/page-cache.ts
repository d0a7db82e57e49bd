import zlib from 'node:zlib';
import type { Request, RequestHandler } from 'express';
import type { Sequelize, Transaction } from 'sequelize';
import { preferredEncoding } from '../assets';
import type { CacheBus } from '../cache-bus';
import { resolveLocale } from './locals';
import { SESSION_COOKIE, sessionHoldsData } from './session';

// Anonymous search and listing pages are the same for every visitor with the same URL
// and language, and they are what scrapers and crowds hit. A rendered page is kept in
// memory for a few seconds (config.pageCacheMs) and served again without the session,
// the database or the templates. Only visitors without a session cookie are served
// from it or fill it, so no page that shows anything about a signed-in tenant, a flash
// message or a CSRF token is ever shared. Any write to the tables these pages show
// (listings, their wanted districts, users) empties the cache at once, and again when
// that write's transaction commits. With several processes on PostgreSQL, the commit is
// also announced on the cache bus (cache-bus.ts) and every process empties its cache; a
// process that has lost the bus serves nothing from memory until it is back. On SQLite
// (one process) a write by a CLI shows after at most the lifetime.

const MAX_ENTRIES = 200;
const COMPRESS_FROM = 1024;
const WRITE = /^\s*(INSERT|UPDATE|DELETE|REPLACE|TRUNCATE|ALTER|DROP)\b/i;
const SHOWN_TABLES = /\b(listings|listing_wanted_districts|listing_photos|users)\b/i;
const SESSION_COOKIE_RE = new RegExp(`(?:^|;\\s*)${SESSION_COOKIE.replace(/[.]/g, '\\.')}=`);
const KEPT_HEADERS = ['content-type', 'etag', 'x-robots-tag', 'cache-control', 'content-language'];

interface Entry {
  body: Buffer;
  br?: Buffer;
  gzip?: Buffer;
  headers: [string, string][];
  expires: number;
}

export interface PageCache {
  /**
   * Early in the stack, before the session: answers from memory when it can.
   * `isPage` says which paths are cached; `beforeHit` runs before a page is served
   * from memory (the per-IP search limit).
   */
  serve(isPage: (path: string) => boolean, beforeHit: (req: Request) => Promise<void>): RequestHandler;
  /** On the page's route: keeps what it renders for the next visitor. */
  fill: RequestHandler;
  clear(): void;
  /** Removes the database hook. */
  close(): void;
}

function cacheable(req: Request): boolean {
  if (req.method !== 'GET') return false;
  // Anyone carrying a session (signed in, a flash message, a form in progress) is
  // served fresh pages.
  return !SESSION_COOKIE_RE.test(req.headers.cookie ?? '');
}

function compress(encoding: 'br' | 'gzip', body: Buffer): Buffer {
  if (encoding === 'gzip') return zlib.gzipSync(body);
  return zlib.brotliCompressSync(body, {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length },
  });
}

const keyOf = (req: Request) => `${resolveLocale(req)}\n${req.originalUrl}`;

/**
 * Calls `onWrite` after every statement that writes to a table the visitors' pages show,
 * and `onCommitted` once that write is committed: at once outside a transaction, else
 * once per transaction when it commits (the commit waits for it). Returns the remover.
 */
export function watchShownWrites(
  sequelize: Sequelize,
  hookName: string,
  onWrite: () => void,
  onCommitted: () => Promise<void> | void,
): () => void {
  const registered = new WeakSet<Transaction>();
  sequelize.addHook('afterQuery', hookName, (options, query) => {
    const sql = (query as unknown as { sql?: unknown } | undefined)?.sql;
    if (typeof sql !== 'string' || !WRITE.test(sql) || !SHOWN_TABLES.test(sql)) return;
    onWrite();
    const transaction = options?.transaction;
    if (!transaction) return onCommitted();
    if (registered.has(transaction)) return;
    registered.add(transaction);
    transaction.afterCommit(() => onCommitted());
  });
  return () => sequelize.removeHook('afterQuery', hookName);
}

export function createPageCache(sequelize: Sequelize, ttlMs: number, hookName: string, bus?: CacheBus): PageCache {
  const entries = new Map<string, Entry>();
  // A page rendered from reads made before a clear must not be kept after it.
  let generation = 0;
  const clear = () => {
    entries.clear();
    generation++;
  };
  const on = ttlMs > 0;
  const usable = () => on && (!bus || bus.connected);
  let unwatch = (): void => undefined;
  let unsubscribe = (): void => undefined;
  // A process with its cache off still tells the others about its writes.
  if (on || bus) {
    unwatch = watchShownWrites(sequelize, hookName, clear, () => {
      clear();
      return bus?.publish();
    });
    if (bus) unsubscribe = bus.subscribe(clear);
  }

  const serve: PageCache['serve'] = (isPage, beforeHit) => async (req, res, next) => {
    if (!usable() || !isPage(req.path) || !cacheable(req)) return next();
    const key = keyOf(req);
    const hit = entries.get(key);
    if (!hit) return next();
    if (hit.expires <= Date.now()) {
      entries.delete(key);
      return next();
    }
    await beforeHit(req);
    for (const [name, value] of hit.headers) res.setHeader(name, value);
    res.setHeader('Vary', 'Accept-Encoding');
    // Compressed once per page and encoding, not once per visitor (the compression
    // middleware passes an encoded body through).
    const encoding = hit.body.length >= COMPRESS_FROM ? preferredEncoding(req) : 'identity';
    if (encoding !== 'identity') {
      res.setHeader('Content-Encoding', encoding);
      res.send((hit[encoding] ??= compress(encoding, hit.body)));
    } else {
      res.send(hit.body);
    }
  };

  const fill: RequestHandler = (req, res, next) => {
    if (!usable() || req.user || !cacheable(req)) return next();
    const key = keyOf(req);
    const started = Date.now();
    const filledIn = generation;
    const send = res.send.bind(res);
    res.send = ((body: unknown) => {
      const keep = res.statusCode === 200 && typeof body === 'string' && !sessionHoldsData(req.session);
      const result = send(body);
      // Read after sending: express has set the content type and ETag by now.
      if (keep && !res.getHeader('set-cookie') && filledIn === generation && usable()) {
        if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value!);
        const headers: [string, string][] = [];
        for (const name of KEPT_HEADERS) {
          const value = res.getHeader(name);
          if (typeof value === 'string') headers.push([name, value]);
        }
        entries.set(key, { body: Buffer.from(body), headers, expires: started + ttlMs });
      }
      return result;
    }) as typeof res.send;
    next();
  };

  return {
    serve,
    fill,
    clear,
    close: () => {
      unwatch();
      unsubscribe();
      clear();
    },
  };
}
