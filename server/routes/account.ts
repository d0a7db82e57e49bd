import type { Request, Response } from 'express';
import { z } from 'zod';
import { LOCALES } from '../types/constants';
import { isAppError, type FieldErrors } from '../errors';
import { setLanguageCookie } from '../middleware/locals';
import { presentOwnAccount } from '../presenters/user';
import { rotateSession } from '../auth/sign-in';
import { loadAccountSections } from './account-sections';
import type { RouteContext } from './context';
import { checkbox, keepInput, parseForm, passwordField, text } from '../validation';

const settingsSchema = z.object({
  email: text(400),
  phone: text(100).default(''),
  show_phone: checkbox,
  locale: z.enum(LOCALES),
  notify_messages: checkbox,
  emails_enabled: checkbox.optional(),
  // Needed only when the e-mail address changes.
  current_password: z.string().max(1024).default(''),
});
// Each empty field gets a message that names it, all in one pass.
const passwordSchema = z.object({
  current_password: passwordField.or(
    z.unknown().transform((_v, ctx) => {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'errors:password.current_required' });
      return '';
    }),
  ),
  password: passwordField.or(
    z.unknown().transform((_v, ctx) => {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'errors:password.required' });
      return '';
    }),
  ),
  password_confirm: z.string().max(1024).default(''),
});

/** The tenant's own /account page: settings and password (its other parts: account-sections.ts). */
export function accountHandlers(ctx: RouteContext) {
  const { accounts, sessions } = ctx.services;

  async function render(
    req: Request,
    res: Response,
    status = 200,
    extra: { values?: Record<string, unknown>; errors?: FieldErrors; passwordErrors?: FieldErrors } = {},
  ) {
    const account = presentOwnAccount(req.user!);
    res.status(status).render('account/show', {
      account,
      values: extra.values ?? {
        email: account.pendingEmail ?? account.email,
        phone: account.phone,
        show_phone: account.showPhone,
        // The notices box shows what is really sent: nothing while all e-mail is off.
        locale: account.locale,
        notify_messages: account.notifyMessages && account.emailsEnabled,
        emails_enabled: account.emailsEnabled,
      },
      errors: extra.errors ?? {},
      passwordErrors: extra.passwordErrors ?? {},
      sections: await loadAccountSections(req.user!, ctx),
    });
  }

  async function show(req: Request, res: Response) {
    await render(req, res);
  }

  async function update(req: Request, res: Response) {
    const user = req.user!;
    const values = keepInput(req.body);
    const parsed = parseForm(settingsSchema, req.body);
    if (!parsed.ok) return render(req, res, 422, { values, errors: parsed.fields });
    try {
      const d = parsed.data;
      // The address first: a missing or wrong password saves nothing.
      const changed = await accounts.requestEmailChange(user, d.email, d.current_password);
      await accounts.updateSettings(user, {
        phone: d.phone,
        showPhone: d.show_phone,
        locale: d.locale,
        notifyMessages: d.notify_messages,
        // Ticking the notices box is asking for that e-mail, so it turns e-mail back on.
        emailsEnabled: d.notify_messages ? true : 'emails_enabled' in (req.body as object) ? d.emails_enabled : undefined,
      });
      // The pages follow the saved language at once, whatever the switcher chose before.
      setLanguageCookie(req, res, d.locale);
      req.flash('success', changed ? 'account:saved_email_pending' : 'account:saved');
      res.redirect(303, '/account');
    } catch (err) {
      if (isAppError(err) && err.details.fields) return render(req, res, 422, { values, errors: err.details.fields });
      throw err;
    }
  }

  async function updatePassword(req: Request, res: Response) {
    const user = req.user!;
    const parsed = parseForm(passwordSchema, req.body);
    if (!parsed.ok) return render(req, res, 422, { passwordErrors: parsed.fields });
    try {
      await accounts.changePassword(user, parsed.data.current_password, parsed.data.password, parsed.data.password_confirm);
    } catch (err) {
      if (isAppError(err) && err.details.fields) return render(req, res, 422, { passwordErrors: err.details.fields });
      throw err;
    }
    // Every other device is signed out; this one keeps going with a fresh session id.
    await rotateSession(req);
    await sessions.endAllFor(user.id, req.sessionID);
    req.flash('success', 'account:password_changed');
    res.redirect(303, '/account');
  }

  return { show, update, updatePassword };
}
