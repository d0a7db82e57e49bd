import type { RequestHandler } from 'express';
import type { AppDeps } from '../context';
import { keepFormOf, pageFor } from './kept-form';
import { SESSION_COOKIE } from './session';

/** Sends visitors who are not signed in to the sign-in page, then back here. */
export const requireUser: RequestHandler = (req, res, next) => {
  if (req.user) return next();
  const target = req.method === 'GET' ? req.originalUrl : '/';
  res.redirect(303, `/login?next=${encodeURIComponent(target)}`);
};

/** A local path to return to after signing in; anything else becomes "/". */
export function safeNext(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  if (value.length > 500) return '/';
  return value;
}

// express-session has no absolute lifetime, and its idle expiry is enforced by the store.
// Here a signed-in session older than the absolute limit is ended, whatever its cookie says.
export function absoluteTimeout(deps: Pick<AppDeps, 'config' | 'clock'>): RequestHandler {
  return (req, res, next) => {
    const authAt = req.session?.authAt;
    if (!req.user || !authAt) return next();
    if (deps.clock().getTime() - authAt <= deps.config.session.absoluteMs) return next();
    // A message or listing sent just past the limit keeps its text for after signing in
    // (middleware/kept-form.ts); the old session ends either way.
    const userId = req.user.id;
    if (req.method === 'POST' && pageFor(req.path)) {
      return req.session.regenerate((err) => {
        if (err) return next(err);
        res.redirect(303, keepFormOf(req, userId)!);
      });
    }
    req.session.destroy(() => {
      res.clearCookie(SESSION_COOKIE);
      if (req.method === 'GET') return res.redirect(303, `/login?expired=1&next=${encodeURIComponent(req.originalUrl)}`);
      res.redirect(303, '/login?expired=1');
    });
  };
}
