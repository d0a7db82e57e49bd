import { Router, type Request, type Response, type NextFunction } from 'express';
import type { PassportStatic } from 'passport';
import { z } from 'zod';
import type { User } from '../../models/user';
import { ADMIN_PASSWORD_MIN } from '../auth/passwords';
import { isAppError } from '../errors';
import { safeNext } from '../middleware/auth';
import { SESSION_COOKIE } from '../middleware/session';
import type { RouteContext } from '../services';
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
 * Signs the user in on this request: Passport regenerates the session (a new id, so a
 * session fixed before sign-in is worthless) and stores only the user id.
 */
export function establishSession(req: Request, user: User, now: Date): Promise<void> {
  // Text kept from a form sent after the idle limit (middleware/kept-form.ts) survives
  // the new session; nothing else of the old one does.
  const keptForm = req.session?.keptForm;
  return new Promise((resolve, reject) => {
    req.login(user, (err) => {
      if (err) return reject(err);
      req.session.authAt = now.getTime();
      if (keptForm) req.session.keptForm = keptForm;
      resolve();
    });
  });
}

/**
 * Gives the signed-in session a new id (after a password change), keeping when it was
 * signed in, its second factor and its language; the old id stops working at once.
 */
export function rotateSession(req: Request): Promise<void> {
  const user = req.user!;
  const { authAt, secondFactor, locale } = req.session;
  return new Promise((resolve, reject) => {
    req.login(user, (err) => {
      if (err) return reject(err);
      Object.assign(req.session, { authAt, secondFactor, locale });
      resolve();
    });
  });
}

export function authRouter(ctx: RouteContext, passport: PassportStatic): Router {
  const router = Router();
  const { accounts, sessions } = ctx.services;

  router.get('/register', (req, res) => {
    if (req.user) return res.redirect(303, '/account');
    res.render('auth/register', { values: {}, errors: {}, passwordsCleared: false });
  });

  router.post('/register', async (req, res) => {
    const values = keepInput(req.body);
    const parsed = parseForm(registerSchema, req.body);
    if (!parsed.ok) return res.status(422).render('auth/register', { values, errors: parsed.fields, passwordsCleared: true });
    await ctx.rateLimits.get('register').consume(req.ip ?? 'unknown');
    try {
      await accounts.register({
        username: parsed.data.username, email: parsed.data.email, phone: parsed.data.phone,
        password: parsed.data.password, passwordConfirm: parsed.data.password_confirm, locale: req.locale,
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
  });

  router.get('/verify-email', async (req, res) => {
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
  });

  router.post('/verify-email/resend', async (req, res) => {
    if (!req.user) return res.redirect(303, '/login');
    await accounts.resendVerification(req.user);
    req.flash('info', 'auth:verify.resent');
    res.redirect(303, '/account');
  });

  router.get('/login', (req, res) => {
    if (req.user) return res.redirect(303, safeNext(req.query.next));
    res.render('auth/login', {
      values: {}, errors: {}, next: safeNext(req.query.next), expired: req.query.expired === '1', problem: null,
      kept: req.query.kept === '1' && !!req.session.keptForm,
      idleMinutes: Math.round(ctx.config.session.idleMs / 60_000),
    });
  });

  router.post('/login', (req: Request, res: Response, next: NextFunction) => {
    const values = keepInput(req.body);
    const target = safeNext((req.body as Record<string, unknown> | undefined)?.next);
    const parsed = parseForm(loginSchema, req.body);
    const renderProblem = (status: number, problem: string, params?: Record<string, unknown>) =>
      res.status(status).render('auth/login', {
        values, errors: {}, next: target, expired: false, problem, problemParams: params ?? {}, kept: false, idleMinutes: 0,
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
  });

  router.post('/logout', (req, res, next) => {
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
  });

  router.get('/forgot-password', (_req, res) => {
    res.render('auth/forgot-password', { values: {}, errors: {}, sent: false });
  });

  router.post('/forgot-password', async (req, res) => {
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
  });

  // The link mailed to the old address after an e-mail change. GET only asks (a mail
  // scanner must not act); POST restores the address and ends every session.
  router.get('/email-change/undo', async (req, res) => {
    await accounts.checkUndoEmailToken(req.query.token);
    res.render('auth/undo-email', { token: req.query.token });
  });

  router.post('/email-change/undo', async (req, res, next) => {
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
  });

  router.get('/reset-password', async (req, res) => {
    await accounts.checkResetToken(req.query.token);
    res.render('auth/reset-password', { token: req.query.token, errors: {} });
  });

  router.post('/reset-password', async (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : (req.body as Record<string, unknown> | undefined)?.token;
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
  });

  return router;
}

