import crypto from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { csrfSync } from 'csrf-sync';

// Pages are compressed (app.ts). A secret that appears unchanged in every compressed
// page next to text an attacker can put there (a search term) can be guessed from the
// response sizes (BREACH). So a form never carries the session's token itself but the
// token XOR a fresh random pad, with the pad: different bytes on every page, the same
// token once unmasked.
function mask(token: string): string {
  const raw = Buffer.from(token, 'utf8');
  const pad = crypto.randomBytes(raw.length);
  for (let i = 0; i < raw.length; i++) raw[i] ^= pad[i];
  return Buffer.concat([pad, raw]).toString('base64url');
}

function unmask(value: string): string | undefined {
  const both = Buffer.from(value, 'base64url');
  if (both.length === 0 || both.length % 2 !== 0) return undefined;
  const half = both.length / 2;
  const raw = both.subarray(half);
  for (let i = 0; i < half; i++) raw[i] ^= both[i];
  return raw.toString('utf8');
}

// Synchronizer token pattern: one secret token per session, sent back in the hidden
// `_csrf` field of every form. GET, HEAD and OPTIONS are never checked, so they must
// never change anything.
const { csrfSynchronisedProtection, generateToken } = csrfSync({
  getTokenFromRequest: (req: Request) => {
    const body = req.body as Record<string, unknown> | undefined;
    return typeof body?._csrf === 'string' ? unmask(body._csrf) : undefined;
  },
  getTokenFromState: (req) => req.session.csrfToken,
  storeTokenInState: (req, token) => {
    req.session.csrfToken = token;
  },
});

// The exceptions: the unsubscribe links of notice and alert e-mails, which mail programs
// POST to without a session (RFC 8058). Their signed, expiring query is their own proof,
// and all they can do is turn e-mails off.
const ONE_CLICK_UNSUBSCRIBE = new Set(['/notifications/unsubscribe', '/alerts/unsubscribe']);
export const csrfProtection: RequestHandler = (req, res, next) => {
  if (req.method === 'POST' && ONE_CLICK_UNSUBSCRIBE.has(req.path)) return next();
  csrfSynchronisedProtection(req, res, next);
};

/** Makes `csrfToken()` available to templates (masked); the token is created on first use. */
export const csrfLocals: RequestHandler = (req, res, next) => {
  let masked: string | undefined;
  res.locals.csrfToken = () => (masked ??= mask(generateToken(req)));
  next();
};
