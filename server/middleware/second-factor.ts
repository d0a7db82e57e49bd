import type { Request, RequestHandler } from 'express';
import { ADMIN_PASSWORD_MIN } from '../auth/passwords';
import type { AppDeps } from '../context';
import { Forbidden } from '../errors';
import { can } from '../policies';

/** How long the password step stays good while the moderator fetches their phone. */
export const PENDING_SECOND_FACTOR_MS = 5 * 60 * 1000;

/** True when this session belongs to a moderator who has given their second factor. */
export function hasSecondFactor(req: Request): boolean {
  const done = req.session?.secondFactor;
  return !!req.user && !!done && done.userId === req.user.id;
}

/** Tells the policies whether this request's moderator passed the second factor. */
export const markSecondFactor: RequestHandler = (req, _res, next) => {
  if (req.user) req.user.secondFactorPassed = hasSecondFactor(req);
  next();
};

/** A moderator whose password is shorter than the moderators' minimum changes it before /admin opens. */
export function mustChangePassword(req: Request): boolean {
  return !!req.user && req.session?.weakModeratorPassword === req.user.id;
}

/**
 * The ONE guard in front of every /admin page and action: visitors are sent to sign in,
 * signed-in tenants get 403 (also for a forged POST carrying their own valid CSRF
 * token), and a moderator whose session has not seen their TOTP code is sent to give
 * it. Each action then checks its own policy rule (server/policies/admin.ts).
 */
export function requireModerator(deps: Pick<AppDeps, 'clock'>): RequestHandler {
  return function requireModerator(req, res, next) {
    const target = req.method === 'GET' ? req.originalUrl : '/admin';
    if (!req.user) {
      // Password given, code not yet: back to the code form rather than the password form.
      const step = req.session?.pendingSecondFactor ? '/login/totp' : '/login';
      return res.redirect(303, `${step}?next=${encodeURIComponent(target)}`);
    }
    if (!can(req.user, 'admin.access')) throw Forbidden();
    if (!hasSecondFactor(req)) {
      // Signed in with a password only (e.g. promoted while signed in as a tenant).
      req.session.pendingSecondFactor = { userId: req.user.id, at: deps.clock().getTime() };
      return res.redirect(303, `/login/totp?next=${encodeURIComponent(target)}`);
    }
    if (mustChangePassword(req)) {
      req.flash('info', 'admin:password_change_required', { min: ADMIN_PASSWORD_MIN });
      return res.redirect(303, '/account#password-title');
    }
    res.locals.adminNav = req.baseUrl + req.path;
    next();
  };
}
