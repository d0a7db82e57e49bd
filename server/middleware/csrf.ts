import type { Request, RequestHandler } from 'express';
import { csrfSync } from 'csrf-sync';

// Synchronizer token pattern: one secret token per session, sent back in the hidden
// `_csrf` field of every form. GET, HEAD and OPTIONS are never checked, so they must
// never change anything.
const { csrfSynchronisedProtection, generateToken } = csrfSync({
  getTokenFromRequest: (req: Request) => {
    const body = req.body as Record<string, unknown> | undefined;
    return typeof body?._csrf === 'string' ? body._csrf : undefined;
  },
  getTokenFromState: (req) => req.session.csrfToken,
  storeTokenInState: (req, token) => {
    req.session.csrfToken = token;
  },
});

// The one exception: the unsubscribe link of a notice e-mail, which mail programs POST
// to without a session (RFC 8058). Its signed, expiring query is its own proof, and all
// it can do is turn notices off.
export const csrfProtection: RequestHandler = (req, res, next) => {
  if (req.method === 'POST' && req.path === '/notifications/unsubscribe') return next();
  csrfSynchronisedProtection(req, res, next);
};

/** Makes `csrfToken()` available to templates; the token is created on first use. */
export const csrfLocals: RequestHandler = (req, res, next) => {
  res.locals.csrfToken = () => generateToken(req);
  next();
};
