import type { Request, Response } from 'express';
import { z } from 'zod';
import type { FieldErrors } from '../errors';
import { deleteOutboxMailsTo } from '../mail/outbox';
import { SESSION_COOKIE } from '../middleware/session';
import { eraseOwnAccount } from '../services/account-deletion';
import { presentPhoto } from '../presenters/photo';
import { collectMyData, toExportJson } from '../services/data-export';
import { describeFilters } from '../presenters/alerts';
import { districtName } from '../services/districts';
import { presentMyData } from '../presenters/my-data';
import { parseForm } from '../validation';
import type { RouteContext } from './context';

// The tenant's data-protection rights, under /account:
//   GET  /account/data     everything stored about me (access)
//   GET  /account/export   the same as a JSON file (portability; format in data-export.ts)
//   POST /account/emails   turn all optional e-mail off or on again (restriction)
//   GET  /account/delete   the confirmation page, with the password field
//   POST /account/delete   erase my account now, after the password (erasure: the purge's cascade)
//   GET  /account/deleted  the goodbye page after erasure
// Rectification is the settings form of /account; pausing the listing is on the listing.

const deleteSchema = z.object({ password: z.string().max(1024).default('') });
const emailsSchema = z.object({ emails_enabled: z.enum(['on', 'off']) });

export function myDataHandlers(ctx: RouteContext) {
  const { config, db, logger, clock } = ctx;

  async function renderData(req: Request, res: Response, status = 200, deleteErrors: FieldErrors = {}) {
    const data = await collectMyData(req.user!, clock(), config.purge.retentionMonths);
    // The listing's photos, hidden ones too: the tenant sees everything the board keeps.
    const photos = data.listing ? (await ctx.services.photos.forListing(data.listing.id)).map(presentPhoto) : [];
    res.status(status).render('account/data', {
      data: presentMyData(
        data,
        (code) => districtName(code, req.locale),
        (f) => describeFilters(f, req.locale),
      ),
      deleteErrors,
      retentionMonths: config.purge.retentionMonths,
      photos,
    });
  }

  async function show(req: Request, res: Response) {
    await renderData(req, res);
  }

  /** The same as a JSON file. */
  async function exportJson(req: Request, res: Response) {
    const now = clock();
    const data = await collectMyData(req.user!, now, config.purge.retentionMonths);
    const day = now.toISOString().slice(0, 10);
    logger.info({ userId: req.user!.id }, 'data exported');
    res.set('Content-Type', 'application/json; charset=utf-8');
    // Quoted as the contract says; the name is ASCII digits and dashes only.
    res.set('Content-Disposition', `attachment; filename="bostadsbyte-export-${day}.json"`);
    // The photos travel inside the JSON (base64 of the board's WebP files): one file, as before.
    res.send(toExportJson(data, await ctx.services.photos.exportFor(req.user!.id)));
  }

  /** Turns all optional e-mail off or on again. */
  async function updateEmails(req: Request, res: Response) {
    const parsed = parseForm(emailsSchema, req.body);
    if (!parsed.ok) {
      req.flash('error', 'data:emails.invalid');
      return res.redirect(303, '/account');
    }
    const enabled = parsed.data.emails_enabled === 'on';
    await ctx.services.accounts.setEmailsEnabled(req.user!, enabled);
    req.flash('success', enabled ? 'data:emails.turned_on' : 'data:emails.turned_off');
    res.redirect(303, '/account');
  }

  /** The confirmation page: nothing is erased before its form is sent. */
  function confirmRemove(_req: Request, res: Response) {
    res.render('account/delete');
  }

  async function remove(req: Request, res: Response) {
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
  }

  /** Shown to whoever follows the redirect: it says nothing about any account. */
  function removed(req: Request, res: Response) {
    if (req.user) return res.redirect(303, '/account');
    res.render('account/deleted');
  }

  return { show, exportJson, updateEmails, confirmRemove, remove, removed };
}
