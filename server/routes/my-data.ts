import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { FieldErrors } from '../errors';
import { requireUser } from '../middleware/auth';
import { deleteOutboxMailsTo } from '../mail/outbox';
import { SESSION_COOKIE } from '../middleware/session';
import { eraseOwnAccount } from '../services/account-deletion';
import { collectMyData, toExportJson } from '../services/data-export';
import { describeFilters } from '../presenters/alerts';
import { districtName } from '../services/districts';
import type { RouteContext } from '../services';
import { purgeDeadline } from '../services/retention';
import { parseForm } from '../validation';
import { ACCOUNT_SECTIONS } from './account-sections';

// The tenant's data-protection rights (SPEC §10), under /account:
//   GET  /account/data     everything stored about me (access)
//   GET  /account/export   the same as a JSON file (portability; format in data-export.ts)
//   POST /account/emails   turn all optional e-mail off or on again (restriction)
//   GET  /account/delete   the confirmation page, with the password field
//   POST /account/delete   erase my account now, after the password (erasure: the purge's cascade)
//   GET  /account/deleted  the goodbye page after erasure
// Rectification is the settings form of /account; pausing the listing is on the listing.
// requireUser is applied per route, not to the whole /account prefix, so other areas
// may still mount public pages under /account after this router.

const deleteSchema = z.object({ password: z.string().max(1024).default('') });
const emailsSchema = z.object({ emails_enabled: z.enum(['on', 'off']) });

// The "My data" part of /account: a summary with the links and forms that exercise each right.
ACCOUNT_SECTIONS.push(async (user, ctx) => ({
  view: '_data',
  purgeDate: user.isAdmin ? null : purgeDeadline(user.lastLoginAt, ctx.config.purge.retentionMonths),
  retentionMonths: ctx.config.purge.retentionMonths,
  emailsEnabled: user.emailsEnabled,
  deleteErrors: {},
}));

export function myDataRouter(ctx: RouteContext): Router {
  const router = Router();
  const { config, db, logger, clock } = ctx;

  async function renderData(req: Request, res: Response, status = 200, deleteErrors: FieldErrors = {}) {
    const data = await collectMyData(req.user!, clock(), config.purge.retentionMonths);
    res.status(status).render('account/data', {
      data, deleteErrors, retentionMonths: config.purge.retentionMonths,
      districtName: (code: string) => districtName(code, req.locale),
      describeFilters: (f: Parameters<typeof describeFilters>[0]) => describeFilters(f, req.locale),
    });
  }

  router.get('/data', requireUser, async (req, res) => {
    await renderData(req, res);
  });

  router.get('/export', requireUser, async (req, res) => {
    const now = clock();
    const data = await collectMyData(req.user!, now, config.purge.retentionMonths);
    const day = now.toISOString().slice(0, 10);
    logger.info({ userId: req.user!.id }, 'data exported');
    res.set('Content-Type', 'application/json; charset=utf-8');
    // Quoted as the contract says; the name is ASCII digits and dashes only.
    res.set('Content-Disposition', `attachment; filename="bostadsbyte-export-${day}.json"`);
    res.send(toExportJson(data));
  });

  router.post('/emails', requireUser, async (req, res) => {
    const parsed = parseForm(emailsSchema, req.body);
    if (!parsed.ok) {
      req.flash('error', 'data:emails.invalid');
      return res.redirect(303, '/account');
    }
    const enabled = parsed.data.emails_enabled === 'on';
    // "All e-mail off" also unticks the notices, so no box on the page says otherwise.
    await req.user!.update(enabled ? { emailsEnabled: true } : { emailsEnabled: false, notifyMessages: false });
    logger.info({ userId: req.user!.id, emailsEnabled: enabled }, 'e-mail setting changed');
    req.flash('success', enabled ? 'data:emails.turned_on' : 'data:emails.turned_off');
    res.redirect(303, '/account');
  });

  // GET /account/delete — the confirmation page: nothing is erased before its form is sent.
  router.get('/delete', requireUser, (_req, res) => {
    res.render('account/delete');
  });

  router.post('/delete', requireUser, async (req, res) => {
    const user = req.user!;
    const parsed = parseForm(deleteSchema, req.body);
    if (!parsed.ok || parsed.data.password === '') {
      return renderData(req, res, 422, { password: 'data:delete.password_missing' });
    }
    // Counted like a sign-in before it is checked, so a session left open on a shared
    // computer cannot be used to guess the password.
    if (!(await ctx.services.accounts.checkCurrentPassword(user, parsed.data.password))) {
      logger.info({ userId: user.id }, 'account deletion refused: wrong password');
      return renderData(req, res, 422, { password: 'data:delete.password_wrong' });
    }
    const userId = user.id;
    const addresses = [user.email, user.pendingEmail].filter((a): a is string => !!a);
    if ((await eraseOwnAccount(user, config)) === 'last_moderator') {
      return renderData(req, res, 409, { password: 'admin:cli.errors.last_moderator' });
    }
    // The development outbox keeps no mail to an erased account.
    if (!config.smtpUrl) deleteOutboxMailsTo(config.outboxDir, addresses);
    // As with the purge: no trace in the SQLite files once the write-ahead log is folded in.
    await db.checkpoint();
    logger.info({ userId }, 'account deleted by its owner');
    // The session row went with the account; end the cookie too. (req.logout would try to
    // save the session once more, for an account that no longer exists.)
    req.session.destroy(() => {
      res.clearCookie(SESSION_COOKIE);
      res.redirect(303, '/account/deleted');
    });
  });

  // Shown to whoever follows the redirect: it says nothing about any account.
  router.get('/deleted', (req, res) => {
    if (req.user) return res.redirect(303, '/account');
    res.render('account/deleted');
  });

  return router;
}
