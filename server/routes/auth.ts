import type { NextFunction, Request, Response } from 'express';
import type { PassportStatic } from 'passport';
import { z } from 'zod';
import type { User } from '../types/records';
import { ADMIN_PASSWORD_MIN } from '../auth/passwords';
import { establishSession } from '../auth/sign-in';
import { isAppError } from '../errors';
import { safeNext } from '../middleware/auth';
import { SESSION_COOKIE } from '../middleware/session';
import type { RouteContext } from './context';
import { keepInput, parseForm, passwordField, text } from '../validation';

// Every field is read as text (empty when missing) so that the account rules check all
// of them in one pass: an empty form gets a message for each field, not just the first.
const registerSchema = z.object({
  username: text(200).default(''),
  email: text(400).default(''),
  phone: text(100).default(''),
  password: z.string().max(1024).default(''),
  password_confirm: z.string().max(1024).default(''),
  // Message notices: asked at registration, "yes" unless the tenant says no.
  notify_messages: z.unknown().transform((v) => v !== 'off'),
});
const loginSchema = z.object({ username: text(400), password: z.string().max(1024).default('') });
const forgotSchema = z.object({ email: text(400) });
const resetSchema = z.object({ password: passwordField, password_confirm: z.string().max(1024).default('') });

/**
 * Signing up, in and out, verifying the address, a forgotten password and undoing an
 * e-mail change (a moderator's second step is in totp.ts).
 */
export function authHandlers(ctx: RouteContext, passport: PassportStatic) {
  const { accounts, sessions } = ctx.services;

  function registerForm(req: Request, res: Response) {
    if (req.user) return res.redirect(303, '/account');
    res.render('auth/register', { values: {}, errors: {}, passwordsCleared: false });
  }

  async function register(req: Request, res: Response) {
    const values = keepInput(req.body);
    const parsed = parseForm(registerSchema, req.body);
    if (!parsed.ok) return res.status(422).render('auth/register', { values, errors: parsed.fields, passwordsCleared: true });
    await ctx.rateLimits.get('register').consume(req.ip ?? 'unknown');
    try {
      await accounts.register({
        username: parsed.data.username,
        email: parsed.data.email,
        phone: parsed.data.phone,
        password: parsed.data.password,
        passwordConfirm: parsed.data.password_confirm,
        locale: req.locale,
        notifyMessages: parsed.data.notify_messages,
      });
      // The same answer whether the account was created or the address already had one
      // (its owner got a mail instead): so the registration is not signed in at once,
      // the tenant signs in after the link in the mail (or straight away, unverified).
      req.flash('success', 'auth:register.done');
      res.redirect(303, '/login');
    } catch (err) {
      if (isAppError(err) && err.details.fields) {
        return res.status(422).render('auth/register', { values, errors: err.details.fields, passwordsCleared: true });
      }
      throw err;
    }
  }

  async function verifyEmail(req: Request, res: Response) {
    try {
      await accounts.verifyEmail(req.query.token);
    } catch (err) {
      if (isAppError(err) && err.id === 'token_invalid' && (await accounts.alreadyVerifiedBy(req.query.token))) {
        req.flash('info', req.user ? 'auth:verify.already' : 'auth:verify.already_sign_in');
        return res.redirect(303, req.user ? '/account' : '/login');
      }
      throw err;
    }
    req.flash('success', 'auth:verify.done');
    res.redirect(303, req.user ? '/account' : '/login');
  }

  async function resendVerification(req: Request, res: Response) {
    if (!req.user) return res.redirect(303, '/login');
    await accounts.resendVerification(req.user);
    req.flash('info', 'auth:verify.resent');
    res.redirect(303, '/account');
  }

  function loginForm(req: Request, res: Response) {
    if (req.user) return res.redirect(303, safeNext(req.query.next));
    res.render('auth/login', {
      values: {},
      errors: {},
      next: safeNext(req.query.next),
      expired: req.query.expired === '1',
      problem: null,
      kept: req.query.kept === '1' && !!req.session.keptForm,
      idleMinutes: Math.round(ctx.config.session.idleMs / 60_000),
    });
  }

  function login(req: Request, res: Response, next: NextFunction) {
    const values = keepInput(req.body);
    const target = safeNext((req.body as Record<string, unknown> | undefined)?.next);
    const parsed = parseForm(loginSchema, req.body);
    const renderProblem = (status: number, problem: string, params?: Record<string, unknown>) =>
      res.status(status).render('auth/login', {
        values,
        errors: {},
        next: target,
        expired: false,
        problem,
        problemParams: params ?? {},
        kept: false,
        idleMinutes: 0,
      });
    if (!parsed.ok || parsed.data.username === '' || parsed.data.password === '') {
      return renderProblem(422, 'login_missing');
    }
    passport.authenticate('local', { session: false }, (err: unknown, user: User | false) => {
      if (err) {
        if (isAppError(err) && [401, 403, 429].includes(err.status)) {
          if (err.details.retryAfterSeconds) res.set('Retry-After', String(err.details.retryAfterSeconds));
          return renderProblem(err.status, err.id, {
            ...err.details.params,
            minutes: err.details.retryAfterSeconds ? Math.ceil(err.details.retryAfterSeconds / 60) : undefined,
          });
        }
        return next(err);
      }
      if (!user) return renderProblem(422, 'login_missing');
      const now = ctx.clock();
      if (user.isAdmin) {
        // Moderators give a second factor before the session is theirs.
        req.session.regenerate((regenErr) => {
          if (regenErr) return next(regenErr);
          // A promoted tenant's password may be shorter than a moderator's must be: it
          // is changed before /admin opens (after the code, see requireModerator).
          const weakPassword = parsed.data.password.length < ADMIN_PASSWORD_MIN;
          req.session.pendingSecondFactor = { userId: user.id, at: now.getTime(), ...(weakPassword ? { weakPassword } : {}) };
          res.redirect(303, `/login/totp?next=${encodeURIComponent(target)}`);
        });
        return;
      }
      establishSession(req, user, now)
        .then(() => accounts.recordLogin(user))
        .then(() => res.redirect(303, target))
        .catch(next);
    })(req, res, next);
  }

  function logout(req: Request, res: Response, next: NextFunction) {
    const userId = req.user?.id;
    req.logout((err) => {
      if (err) return next(err);
      req.session.destroy((destroyErr) => {
        if (destroyErr) return next(destroyErr);
        res.clearCookie(SESSION_COOKIE);
        // The browser forgets this site's cookies and storage too (a shared computer).
        res.set('Clear-Site-Data', '"cookies", "storage"');
        ctx.logger.info({ userId }, 'signed out');
        res.redirect(303, '/');
      });
    });
  }

  function forgotPasswordForm(_req: Request, res: Response) {
    res.render('auth/forgot-password', { values: {}, errors: {}, sent: false });
  }

  async function forgotPassword(req: Request, res: Response) {
    const values = keepInput(req.body);
    const parsed = parseForm(forgotSchema, req.body);
    if (!parsed.ok || parsed.data.email === '') {
      return res.status(422).render('auth/forgot-password', { values, errors: { email: 'errors:field.email' }, sent: false });
    }
    try {
      await accounts.requestPasswordReset(parsed.data.email, req.ip ?? 'unknown');
    } catch (err) {
      if (isAppError(err) && err.details.fields) {
        return res.status(422).render('auth/forgot-password', { values, errors: err.details.fields, sent: false });
      }
      throw err;
    }
    res.render('auth/forgot-password', { values: {}, errors: {}, sent: true });
  }

  // The link mailed to the old address after an e-mail change. GET only asks (a mail
  // scanner must not act); POST restores the address and ends every session.
  async function undoEmailChangeForm(req: Request, res: Response) {
    await accounts.checkUndoEmailToken(req.query.token);
    res.render('auth/undo-email', { token: req.query.token });
  }

  async function undoEmailChange(req: Request, res: Response, next: NextFunction) {
    const user = await accounts.undoEmailChange(req.query.token);
    await sessions.endAllFor(user.id);
    const done = () => {
      req.flash('success', 'auth:undo_email.done');
      res.redirect(303, '/login');
    };
    // This browser too, if it was signed in (it may be the one that made the change).
    if (req.user) {
      req.logout((err) => (err ? next(err) : done()));
      return;
    }
    done();
  }

  async function resetPasswordForm(req: Request, res: Response) {
    await accounts.checkResetToken(req.query.token);
    res.render('auth/reset-password', { token: req.query.token, errors: {} });
  }

  async function resetPassword(req: Request, res: Response) {
    const token =
      typeof req.query.token === 'string' ? req.query.token : (req.body as Record<string, unknown> | undefined)?.token;
    const parsed = parseForm(resetSchema, req.body);
    if (!parsed.ok) return res.status(422).render('auth/reset-password', { token, errors: parsed.fields });
    try {
      const user = await accounts.resetPassword(token, parsed.data.password, parsed.data.password_confirm);
      // Whoever knew the old password is signed out everywhere.
      await sessions.endAllFor(user.id);
    } catch (err) {
      if (isAppError(err) && err.details.fields) {
        return res.status(422).render('auth/reset-password', { token, errors: err.details.fields });
      }
      throw err;
    }
    req.flash('success', 'auth:reset.done');
    res.redirect(303, '/login');
  }

  return {
    registerForm,
    register,
    verifyEmail,
    resendVerification,
    loginForm,
    login,
    logout,
    forgotPasswordForm,
    forgotPassword,
    undoEmailChangeForm,
    undoEmailChange,
    resetPasswordForm,
    resetPassword,
  };
}
