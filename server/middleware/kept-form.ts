import crypto from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { Session } from '../../models/session';
import type { AppDeps } from '../context';
import { SESSION_COOKIE } from './session';

// A tenant who writes a long message or listing and sends it after the idle limit has
// no session any more: the form's CSRF token belongs to the old one, so the send was
// refused and the text was gone. Instead, the text is kept in a fresh session, the
// tenant signs in again and finds the same form filled in, with a plain word on why.
//
// Only what the tenant typed into one of these forms is kept, and only when the browser
// sent a session cookie signed by this board (a cross-site POST carries no cookie under
// SameSite=lax, so nobody else can plant text here). Nothing is sent or saved as the
// tenant's until they press the button again, signed in, with a valid token.

/** How long kept text waits for its writer to sign in again. */
const KEPT_FOR_MS = 2 * 3600 * 1000;
const MAX_FIELD_CHARS = 10_000;

/** The forms whose text is worth keeping, and the page each one is shown on. */
const FORMS: { post: RegExp; page: (m: RegExpExecArray) => string }[] = [
  { post: /^\/listings\/(\d{1,9})\/messages$/, page: (m) => `/listings/${m[1]}` },
  { post: /^\/messages\/(\d{1,10})$/, page: (m) => `/messages/${m[1]}` },
  { post: /^\/listings$/, page: () => '/listings/new' },
  { post: /^\/listings\/(\d{1,9})$/, page: (m) => `/listings/${m[1]}/edit` },
];

export function pageFor(path: string): string | null {
  for (const form of FORMS) {
    const m = form.post.exec(path);
    if (m) return form.page(m);
  }
  return null;
}

/** The session id in the request's cookie, if express-session signed it with our secret. */
function signedSessionId(cookieHeader: string | undefined, secret: string): string | null {
  if (!cookieHeader) return null;
  for (const part of cookieHeader.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name !== SESSION_COOKIE) continue;
    let value: string;
    try {
      value = decodeURIComponent(rest.join('='));
    } catch {
      return null;
    }
    if (!value.startsWith('s:')) return null;
    const signed = value.slice(2);
    const dot = signed.lastIndexOf('.');
    if (dot <= 0) return null;
    const sid = signed.slice(0, dot);
    const expected = crypto.createHmac('sha256', secret).update(sid).digest('base64').replace(/=+$/, '');
    const given = Buffer.from(signed.slice(dot + 1));
    const want = Buffer.from(expected);
    return given.length === want.length && crypto.timingSafeEqual(given, want) ? sid : null;
  }
  return null;
}

function typedFields(body: unknown): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (!body || typeof body !== 'object') return out;
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (k === '_csrf' || k.includes('password')) continue;
    if (typeof v === 'string') out[k] = v.slice(0, MAX_FIELD_CHARS);
    else if (Array.isArray(v)) out[k] = v.filter((x): x is string => typeof x === 'string').slice(0, 100);
  }
  return out;
}

/**
 * Keeps what a POST to one of the forms above carried in the (fresh) session and returns
 * where to send the tenant to sign in again; null for any other request.
 */
export function keepFormOf(req: Request, userId: number | null): string | null {
  const page = req.method === 'POST' ? pageFor(req.path) : null;
  if (!page) return null;
  req.session.keptForm = { page, fields: typedFields(req.body), userId, at: Date.now() };
  return `/login?kept=1&next=${encodeURIComponent(page)}`;
}

/**
 * Runs before the CSRF check. A POST to one of the forms above from a browser whose
 * session has ended (its cookie is ours, but the session is gone) is answered with the
 * sign-in page instead of "access denied", and the typed text waits in the new session.
 */
export function keepFormAfterTimeout(deps: Pick<AppDeps, 'config'>): RequestHandler {
  return async (req, res, next) => {
    try {
      if (req.method !== 'POST' || req.user || req.session.csrfToken) return next();
      const page = pageFor(req.path);
      if (!page) return next();
      const sid = signedSessionId(req.headers.cookie, deps.config.sessionSecret);
      if (!sid || sid === req.sessionID) return next();
      const old = await Session.findByPk(sid, { attributes: ['sid', 'userId'] });
      res.redirect(303, keepFormOf(req, old?.userId ?? null)!);
    } catch (err) {
      next(err);
    }
  };
}

/**
 * The kept text for this page and this tenant, taken out of the session (it is shown
 * once) with a line at the top of the page saying so; null when there is none.
 */
export function takeKeptForm(req: Request, res: Response): Record<string, string | string[]> | null {
  const kept = req.session?.keptForm;
  if (!kept || !req.user) return null;
  if (kept.page !== req.path) return null;
  delete req.session.keptForm;
  if (Date.now() - kept.at > KEPT_FOR_MS) return null;
  if (kept.userId !== null && kept.userId !== req.user.id) return null;
  res.locals.flashes = [...(res.locals.flashes ?? []), { type: 'info', key: 'common:form.kept' }];
  return kept.fields;
}
