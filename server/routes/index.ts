import { Router } from 'express';
import type { PassportStatic } from 'passport';
import type { DatabaseHealth } from '../health';
import { requireUser } from '../middleware/auth';
import { requireModerator } from '../middleware/second-factor';
import { accountHandlers } from './account';
import { alertHandlers } from './alerts';
import { auditHandlers } from './admin/audit';
import { dashboardHandlers } from './admin/dashboard';
import { adminListingHandlers } from './admin/listings';
import { adminPhotoHandlers } from './admin/photos';
import { reportHandlers } from './admin/reports';
import { adminUserHandlers } from './admin/users';
import { authHandlers } from './auth';
import type { RouteContext } from './context';
import { favouriteHandlers } from './favourites';
import { listingHandlers } from './listings';
import { matchHandlers } from './matches';
import { messageHandlers, unsubscribeHandlers } from './messages';
import { myDataHandlers } from './my-data';
import { pageHandlers } from './pages';
import { photoHandlers } from './photos';
import { swapHandlers } from './swaps';
import { totpHandlers } from './totp';

/**
 * The probes a load balancer and the benchmark ask, answered before any session or
 * database work (app.ts mounts them first).
 * Liveness: the process answers (never touches the database, so a database outage does
 * not get a healthy process restarted); {"status":"ok"} exactly when all is well, with
 * "database":"unavailable" added while it is away. Readiness: the database answers too.
 */
export function probeRoutes(health: DatabaseHealth, opts: { benchBareRoute: boolean }): Router {
  const router = Router();
  router.get('/healthz', function live(_req, res) {
    res.json(health.ready ? { status: 'ok' } : { status: 'ok', database: 'unavailable' });
  });
  router.get('/healthz/ready', async function ready(_req, res) {
    const ok = health.ready || (await health.probe());
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable', database: ok ? 'ok' : 'unavailable' });
  });
  if (opts.benchBareRoute) {
    // The benchmark's ceiling: the cheapest answer this process can give, behind the
    // same security headers as every page.
    router.get('/bench/bare', function bare(_req, res) {
      res.type('text/plain').send('ok');
    });
  }
  return router;
}

/**
 * THE URL map: every page and action the board answers, one line each (the probes are
 * above). Each line is: path, the guards it needs (sign-in, a loader for :id), the
 * handler. Handlers live in one module per resource and do the same steps: validate →
 * load → authorize (server/policies) → service → present (server/presenters). See
 * docs/architecture.md. A fixed path is listed before a :id path it would otherwise
 * match (`/listings/new` before `/listings/:id`); nothing else depends on the order.
 */
export function routes(ctx: RouteContext, passport: PassportStatic): Router {
  const router = Router();
  const pages = pageHandlers(ctx);
  const auth = authHandlers(ctx, passport);
  const totp = totpHandlers(ctx);
  const account = accountHandlers(ctx);
  const myData = myDataHandlers(ctx);
  const listings = listingHandlers(ctx);
  const photos = photoHandlers(ctx);
  const matches = matchHandlers(ctx);
  const favourites = favouriteHandlers(ctx);
  const messages = messageHandlers(ctx);
  const unsubscribe = unsubscribeHandlers(ctx);
  const swaps = swapHandlers(ctx);
  const alerts = alertHandlers(ctx);
  const admin = {
    dashboard: dashboardHandlers(ctx),
    reports: reportHandlers(ctx),
    listings: adminListingHandlers(ctx),
    photos: adminPhotoHandlers(ctx),
    users: adminUserHandlers(ctx),
    audit: auditHandlers(ctx),
  };
  const moderator = requireModerator(ctx);
  const user = requireUser;

  // The board's own pages.
  router.get('/', pages.home);
  router.get('/privacy', pages.privacy);
  router.get('/before-you-swap', pages.beforeYouSwap);
  router.get('/accessibility', pages.accessibility);
  router.get('/language', pages.language);

  // Signing up, in and out.
  router.get('/register', auth.registerForm);
  router.post('/register', auth.register);
  router.get('/verify-email', auth.verifyEmail);
  router.post('/verify-email/resend', auth.resendVerification);
  router.get('/login', auth.loginForm);
  router.post('/login', auth.login);
  router.get('/login/totp', totp.show);
  router.post('/login/totp', totp.create);
  router.post('/logout', auth.logout);
  router.get('/forgot-password', auth.forgotPasswordForm);
  router.post('/forgot-password', auth.forgotPassword);
  router.get('/reset-password', auth.resetPasswordForm);
  router.post('/reset-password', auth.resetPassword);
  router.get('/email-change/undo', auth.undoEmailChangeForm);
  router.post('/email-change/undo', auth.undoEmailChange);

  // The tenant's account and their data-protection rights.
  router.get('/account', user, account.show);
  router.post('/account', user, account.update);
  router.post('/account/password', user, account.updatePassword);
  router.get('/account/data', user, myData.show);
  router.get('/account/export', user, myData.exportJson);
  router.post('/account/emails', user, myData.updateEmails);
  router.get('/account/delete', user, myData.confirmRemove);
  router.post('/account/delete', user, myData.remove);
  router.get('/account/deleted', myData.removed);
  router.post('/account/blocks/:userId/delete', user, messages.unblock);
  // Alerts and saved searches (server/routes/alerts.ts); saving is offered on the search page.
  router.post('/account/alerts', user, alerts.update);
  router.post('/account/searches/:searchId/delete', user, alerts.loadSearch, alerts.removeSearch);
  router.get('/alerts/unsubscribe', alerts.unsubscribeForm);
  router.post('/alerts/unsubscribe', alerts.unsubscribe);
  // Any other /account path asks a visitor to sign in first (and is then not found).
  router.use('/account', user);

  // Listings: search, the tenant's own listing, and what others do with one.
  router.get('/listings', listings.keepForVisitors, listings.list);
  router.get('/listings/new', user, listings.newForm);
  router.get('/listings/save-search', user, alerts.saveForm);
  router.post('/listings/save-search', user, alerts.save);
  router.post('/listings', user, listings.create);
  router.get('/listings/:id', listings.load, listings.keepForVisitors, listings.show);
  router.post('/listings/:id', user, listings.load, listings.update);
  router.get('/listings/:id/edit', user, listings.load, listings.edit);
  router.post('/listings/:id/pause', user, listings.load, listings.pause);
  router.post('/listings/:id/resume', user, listings.load, listings.resume);
  router.get('/listings/:id/delete', user, listings.load, listings.confirmRemove);
  router.post('/listings/:id/delete', user, listings.load, listings.remove);
  router.post('/listings/:id/request-review', user, listings.load, listings.requestReview);
  router.post('/listings/:id/favourite', user, listings.load, listings.favourite);
  router.post('/listings/:id/unfavourite', user, listings.load, listings.unfavourite);
  router.post('/listings/:id/report', user, listings.load, listings.report);
  router.post('/listings/:id/messages', user, messages.create);
  // Photos of a listing (server/routes/photos.ts): its tenant's photos page (multipart
  // uploads, parsed by middleware/photo-upload.ts), and the photo URLs that the early
  // handler in app.ts did not answer (a paused listing, a hidden photo).
  router.get('/listings/:id/photos', user, listings.load, photos.permitManage, photos.list);
  router.post('/listings/:id/photos', user, listings.load, photos.permitManage, photos.create);
  router.post('/listings/:id/photos/:photoId/alt', user, listings.load, photos.permitManage, photos.loadPhoto, photos.updateAlt);
  router.post(
    '/listings/:id/photos/:photoId/cover',
    user,
    listings.load,
    photos.permitManage,
    photos.loadPhoto,
    photos.makeCover,
  );
  router.post('/listings/:id/photos/:photoId/up', user, listings.load, photos.permitManage, photos.loadPhoto, photos.moveUp);
  router.post('/listings/:id/photos/:photoId/down', user, listings.load, photos.permitManage, photos.loadPhoto, photos.moveDown);
  router.post('/listings/:id/photos/:photoId/delete', user, listings.load, photos.permitManage, photos.loadPhoto, photos.remove);
  router.get('/photos/:file', photos.show);
  router.get('/matches', user, matches.list);
  router.get('/matches/hidden', user, swaps.hidden);
  // Interest marks on a pair or a three-way swap (server/routes/swaps.ts).
  router.post('/swaps/marks', user, swaps.mark);
  router.post('/swaps/marks/undo', user, swaps.unmark);
  router.get('/swaps/done', user, swaps.done);
  router.get('/favourites', user, favourites.list);

  // Private messages, and the notice e-mail's "turn notices off" link.
  router.get('/messages', user, messages.list);
  router.get('/messages/:id', messages.load, swaps.panel, messages.show);
  router.post('/messages/:id', messages.load, messages.reply);
  // In a three-way conversation the form names whom to block (user_id); otherwise the other tenant.
  router.post('/messages/:id/block', messages.load, swaps.blockOne, messages.block);
  router.post('/messages/:id/report', messages.load, messages.report);
  // Closing a swap, from its conversation.
  router.post('/messages/:id/agree', messages.load, swaps.agree);
  router.post('/messages/:id/agree/undo', messages.load, swaps.disagree);
  router.get('/messages/:id/summary', messages.load, swaps.summary);
  router.post('/messages/:id/swapped', messages.load, swaps.swapped);
  router.get('/notifications/unsubscribe', unsubscribe.show);
  router.post('/notifications/unsubscribe', unsubscribe.update);

  // Moderators: every /admin path, known or not, is behind the one guard.
  router.use('/admin', moderator);
  router.get('/admin', admin.dashboard.show);
  router.get('/admin/reports', admin.reports.list);
  router.get('/admin/reports/:id', admin.reports.load, admin.reports.show);
  router.post('/admin/reports/:id/resolve', admin.reports.load, admin.reports.resolve);
  router.post('/admin/reports/:id/dismiss', admin.reports.load, admin.reports.dismiss);
  router.get('/admin/listings', admin.listings.list);
  router.get('/admin/listings/:id', admin.listings.load, admin.listings.show);
  router.get('/admin/listings/:id/remove', admin.listings.load, admin.listings.confirmRemove);
  router.post('/admin/listings/:id/hide', admin.listings.load, admin.listings.hide);
  router.post('/admin/listings/:id/restore', admin.listings.load, admin.listings.restore);
  router.post('/admin/listings/:id/remove', admin.listings.load, admin.listings.remove);
  router.post('/admin/listings/:id/photos/:photoId/hide', admin.listings.load, photos.loadPhoto, admin.photos.hide);
  router.post('/admin/listings/:id/photos/:photoId/restore', admin.listings.load, photos.loadPhoto, admin.photos.restore);
  router.get('/admin/users', admin.users.list);
  router.get('/admin/users/:id', admin.users.load, admin.users.show);
  router.post('/admin/users/:id/suspend', admin.users.load, admin.users.suspend);
  router.post('/admin/users/:id/unsuspend', admin.users.load, admin.users.unsuspend);
  router.get('/admin/audit', admin.audit.list);

  return router;
}
