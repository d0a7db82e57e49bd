import { Router, type RequestHandler } from 'express';
import { ADMIN_PASSWORD_MIN } from '../../auth/passwords';
import { Forbidden } from '../../errors';
import { can } from '../../policies';
import type { RouteContext } from '../../services';
import { hasSecondFactor, mustChangePassword } from '../totp';
import { auditRouter } from './audit';
import { dashboardRouter } from './dashboard';
import { listingsRouter } from './listings';
import { adminPhotosRouter } from './photos';
import { reportsRouter } from './reports';
import { usersRouter } from './users';

/**
 * The ONE guard in front of every /admin page and action: visitors are sent to sign in,
 * signed-in tenants get 403 (also for a forged POST carrying their own valid CSRF
 * token), and a moderator whose session has not seen their TOTP code is sent to give
 * it. Each action then checks its own policy rule (server/policies/admin.ts).
 */
export function requireModerator(ctx: RouteContext): RequestHandler {
  return (req, res, next) => {
    const target = req.method === 'GET' ? req.originalUrl : '/admin';
    if (!req.user) {
      // Password given, code not yet: back to the code form rather than the password form.
      const step = req.session?.pendingSecondFactor ? '/login/totp' : '/login';
      return res.redirect(303, `${step}?next=${encodeURIComponent(target)}`);
    }
    if (!can(req.user, 'admin.access')) throw Forbidden();
    if (!hasSecondFactor(req)) {
      // Signed in with a password only (e.g. promoted while signed in as a tenant).
      req.session.pendingSecondFactor = { userId: req.user.id, at: ctx.clock().getTime() };
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

export function adminRouter(ctx: RouteContext): Router {
  const router = Router();
  router.use(requireModerator(ctx));
  router.use('/reports', reportsRouter(ctx));
  router.use('/listings', adminPhotosRouter(ctx));
  router.use('/listings', listingsRouter(ctx));
  router.use('/users', usersRouter(ctx));
  router.use('/audit', auditRouter(ctx));
  router.use(dashboardRouter(ctx));
  return router;
}
