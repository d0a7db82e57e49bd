import type { RequestHandler } from 'express';
import helmet from 'helmet';
import { BadRequest } from '../errors';
import { hasBadCharacters } from '../validation';

// Everything a page needs is served by the app itself: no CDN, no fonts or analytics from
// elsewhere. The CSP makes that a rule the browser enforces, and forbids inline script.
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginEmbedderPolicy: false,
    xFrameOptions: { action: 'deny' },
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
  });
}

/** Signed-in pages may hold personal data: never keep them in any cache. */
export const noStoreWhenSignedIn: RequestHandler = (req, res, next) => {
  if (req.user) res.set('Cache-Control', 'no-store');
  next();
};

/**
 * Every page but the landing page and the privacy notice asks search engines not to
 * index it. Handlers of indexable pages call `res.locals.allowIndexing = true`.
 */
export const noIndexByDefault: RequestHandler = (_req, res, next) => {
  res.locals.allowIndexing = false;
  const end = res.render.bind(res);
  res.render = ((view: string, options?: object, cb?: never) => {
    if (!res.locals.allowIndexing) res.set('X-Robots-Tag', 'noindex, nofollow');
    return end(view, options as object, cb);
  }) as typeof res.render;
  next();
};

/** Longer than any link the board makes (a search with every district, a token). */
const QUERY_VALUE_MAX = 2000;

/**
 * A query string with a NUL or another control character, bytes that are not UTF-8, or
 * an absurdly long value is answered 400 before any route reads it: no page or query
 * the board makes holds one, and a NUL would make SQLite refuse the statement (500).
 */
export const refuseBadQuery: RequestHandler = (req, _res, next) => {
  const bad = (v: unknown): boolean =>
    typeof v === 'string' ? v.length > QUERY_VALUE_MAX || hasBadCharacters(v) : Array.isArray(v) && v.some(bad);
  const query = req.query as Record<string, unknown>;
  if (Object.keys(query).some((k) => bad(k) || bad(query[k]))) return next(BadRequest('bad_characters'));
  next();
};

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The form parser keeps a %-escape that does not decode as UTF-8 as literal text
 * ("%FF"), which would then be stored as if typed. Browsers always send UTF-8, so such
 * a body is refused with 400 (the parser's `verify` hook; it sees the raw body once).
 */
export function refuseNonUtf8Form(_req: unknown, _res: unknown, buf: Buffer): void {
  const raw = buf.toString('latin1');
  if (!raw.includes('%')) return;
  for (const part of raw.split(/[&=]/)) {
    if (!part.includes('%')) continue;
    const bytes = Buffer.from(
      part.replace(/\+/g, ' ').replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
      'latin1',
    );
    try {
      strictUtf8.decode(bytes);
    } catch {
      throw BadRequest('bad_characters');
    }
  }
}
