import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import express, { type Request, type RequestHandler } from 'express';

// The files under public/ (css/, js/, img/) are few and small. Outside development they
// are read once at start-up, each under two names:
//
//   /css/app.3f9a1c0b2e7d.css the name pages link to (asset('/css/app.css') in a template):
//                            its content hash is in the name, so browsers and proxies
//                            may keep it for a year without asking again; a changed file
//                            gets a new name with the next start;
//   /css/app.css             the plain name, for anything that still asks for it: kept
//                            for a short while only.
//
// Both are answered from memory, gzip- and brotli-compressed in advance: no file-system
// call, no compression and no Error per request. In development files change under a
// running server, so pages link the plain names and express.static serves them uncached.

export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const SHORT = 'public, max-age=300';

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};
// Already-compressed formats gain nothing from gzip or brotli.
const COMPRESSIBLE = new Set(['.css', '.js', '.svg', '.ico', '.json', '.txt']);

interface File {
  type: string;
  hash: string;
  etag: string;
  identity: Buffer;
  gzip?: Buffer;
  br?: Buffer;
}

/**
 * brotli when the browser takes it (it is smaller), else gzip, else none. (Negotiation by
 * the header's own order would pick gzip from the usual "gzip, deflate, br".)
 */
export function preferredEncoding(req: Request): 'br' | 'gzip' | 'identity' {
  const accepted = req.acceptsEncodings();
  if (accepted.includes('br')) return 'br';
  if (accepted.includes('gzip')) return 'gzip';
  return 'identity';
}

export interface Assets {
  /** The URL a page links to for a file under public/ ('/css/app.css' → '/css/app.<hash>.css'). */
  url(publicPath: string): string;
  /** Answers GET/HEAD for the files under public/; anything else goes on. */
  serve: RequestHandler;
}

function walk(dir: string, base = ''): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const rel = `${base}/${entry.name}`;
    if (entry.isDirectory()) found.push(...walk(path.join(dir, entry.name), rel));
    else if (entry.isFile()) found.push(rel);
  }
  return found;
}

/** '/css/app.css' with hash 'abc' → '/css/app.abc.css'. */
export function fingerprinted(publicPath: string, hash: string): string {
  const ext = path.posix.extname(publicPath);
  return `${publicPath.slice(0, publicPath.length - ext.length)}.${hash}${ext}`;
}

function load(file: string): File {
  const identity = fs.readFileSync(file);
  const ext = path.extname(file).toLowerCase();
  const hash = crypto.createHash('sha256').update(identity).digest('hex').slice(0, 12);
  const out: File = { type: TYPES[ext] ?? 'application/octet-stream', hash, etag: `"${hash}"`, identity };
  if (COMPRESSIBLE.has(ext) && identity.length > 256) {
    out.gzip = zlib.gzipSync(identity, { level: 9 });
    out.br = zlib.brotliCompressSync(identity, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: identity.length },
    });
  }
  return out;
}

export function createAssets(publicDir: string, opts: { development: boolean }): Assets {
  if (opts.development) {
    const serve = express.static(publicDir, { index: false, maxAge: 0, fallthrough: true });
    const entries = new Set(fs.readdirSync(publicDir));
    return {
      url: (publicPath) => publicPath,
      // express.static asks the file system about every URL it is given, and a miss
      // builds an Error: only paths under public/'s own top-level folders reach it.
      serve: (req, res, next) => {
        const first = req.path.split('/', 2)[1];
        if (!first || !entries.has(first)) return next();
        serve(req, res, next);
      },
    };
  }

  // URL → file and cache lifetime; plain name → fingerprinted name.
  const byUrl = new Map<string, { file: File; cacheControl: string }>();
  const names = new Map<string, string>();
  for (const rel of walk(publicDir)) {
    const file = load(path.join(publicDir, rel));
    const name = fingerprinted(rel, file.hash);
    names.set(rel, name);
    byUrl.set(name, { file, cacheControl: IMMUTABLE });
    byUrl.set(rel, { file, cacheControl: SHORT });
  }

  const serve: RequestHandler = (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const hit = byUrl.get(req.path);
    if (!hit) return next();
    const { file, cacheControl } = hit;
    res.setHeader('Content-Type', file.type);
    res.setHeader('Cache-Control', cacheControl);
    res.setHeader('ETag', file.etag);
    if (file.gzip) res.setHeader('Vary', 'Accept-Encoding');
    if (req.headers['if-none-match'] === file.etag) {
      res.statusCode = 304;
      return res.end();
    }
    let body = file.identity;
    if (file.gzip && file.br) {
      const encoding = preferredEncoding(req);
      if (encoding !== 'identity') {
        body = file[encoding]!;
        res.setHeader('Content-Encoding', encoding);
      }
    }
    res.setHeader('Content-Length', body.length);
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  return {
    url: (publicPath) => names.get(publicPath) ?? publicPath,
    serve,
  };
}
