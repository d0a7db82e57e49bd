import { Op, UniqueConstraintError } from 'sequelize';
import { z } from 'zod';
import { Token } from '../../models/token';
import { User, type Locale } from '../../models/user';
import { hashPassword, passwordProblem, verifyPassword, dummyPasswordHash, ADMIN_PASSWORD_MIN } from '../auth/passwords';
import type { AppDeps } from '../context';
import { AppError, ValidationFailed, type FieldErrors } from '../errors';
import { renderMail } from '../mail/templates';
import { findValidToken, hashToken, issueToken, useToken } from './tokens';

export const VERIFY_TTL_MS = 7 * 24 * 3600 * 1000;
export const RESET_TTL_MS = 3600 * 1000;

export const USERNAME_RE = /^[\p{L}\p{N}_.-]{3,30}$/u;
export const PHONE_RE = /^\+?[0-9 ()-]{6,20}$/;
const emailSchema = z.string().email().max(254);

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function normalisePhone(phone: string): string | null {
  const trimmed = phone.trim();
  return trimmed === '' ? null : trimmed.replace(/[ ()-]/g, '');
}

export function checkEmail(email: string): string | undefined {
  return emailSchema.safeParse(email).success ? undefined : 'errors:field.email';
}

function passwordErrorKey(problem: ReturnType<typeof passwordProblem>): string | undefined {
  return problem ? `errors:password.${problem}` : undefined;
}

export interface RegistrationInput {
  username: string;
  email: string;
  phone: string;
  password: string;
  passwordConfirm: string;
  locale: Locale;
  /** E-mail notices of new messages; on unless the tenant said no (a first message should not go unseen). */
  notifyMessages?: boolean;
}

/** Account rules shared by the web, the CLI and the tests. */
export function createAccountService(deps: AppDeps) {
  const { config, mailer, clock, logger, db } = deps;

  async function sendMail(name: string, user: User, to: string, data: Record<string, unknown>) {
    const mail = await renderMail(name, to, user.locale, data, config.org.name);
    await mailer.send(mail);
    logger.info({ userId: user.id, mail: name }, 'mail sent');
  }

  async function sendVerification(user: User, address: string): Promise<void> {
    const raw = await issueToken(user.id, 'verify_email', VERIFY_TTL_MS, clock());
    await sendMail('verify-email', user, address, {
      link: `${config.baseUrl}/verify-email?token=${encodeURIComponent(raw)}`,
      username: user.username,
    });
  }

  return {
    async register(input: RegistrationInput, opts: { role?: 'tenant' | 'admin'; verified?: boolean } = {}): Promise<User> {
      const fields: FieldErrors = {};
      const username = input.username.trim();
      const email = normaliseEmail(input.email);
      const phone = normalisePhone(input.phone);
      if (username === '') fields.username = 'errors:username.required';
      else if (!USERNAME_RE.test(username)) fields.username = 'errors:username.format';
      const emailProblem = email === '' ? 'errors:email.required' : checkEmail(email);
      if (emailProblem) fields.email = emailProblem;
      if (input.phone.trim() !== '' && !PHONE_RE.test(input.phone.trim())) fields.phone = 'errors:field.phone';
      const min = opts.role === 'admin' ? ADMIN_PASSWORD_MIN : undefined;
      const pw = passwordErrorKey(passwordProblem(input.password, { username, email, min }));
      if (input.password === '') fields.password = 'errors:password.required';
      else if (pw) fields.password = pw;
      else if (input.passwordConfirm === '') fields.password_confirm = 'errors:password.confirm_required';
      else if (input.password !== input.passwordConfirm) fields.password_confirm = 'errors:password.mismatch';
      if (Object.keys(fields).length === 0) {
        const taken = await User.findOne({
          where: { [Op.or]: [{ usernameLower: username.toLowerCase() }, { email }] },
          attributes: ['usernameLower', 'email'],
        });
        if (taken?.usernameLower === username.toLowerCase()) fields.username = 'errors:username.taken';
        // Saying that an address is registered tells a stranger who uses the board. The
        // form says so only in general terms and offers the password reset instead.
        else if (taken) fields.email = 'errors:email.taken';
      }
      if (Object.keys(fields).length > 0) throw ValidationFailed(fields);
      const now = clock();
      let user: User;
      try {
        user = await User.create({
          username, usernameLower: username.toLowerCase(), email, phone,
          passwordHash: await hashPassword(input.password, config),
          role: opts.role ?? 'tenant', locale: input.locale, notifyMessages: input.notifyMessages ?? true,
          emailVerifiedAt: opts.verified ? now : null, pendingEmail: null, suspendedAt: null, suspendedReason: null,
          totpSecret: null, totpLastStep: null, lastLoginAt: now, purgeWarningFor: null,
        });
      } catch (err) {
        if (err instanceof UniqueConstraintError) throw ValidationFailed({ username: 'errors:username.taken' });
        throw err;
      }
      logger.info({ userId: user.id }, 'account registered');
      if (!opts.verified) await sendVerification(user, email);
      return user;
    },

    /** Verifies the address the token was sent to: the account's own, or a pending new one. */
    async verifyEmail(raw: unknown): Promise<User> {
      const now = clock();
      const token = await findValidToken(raw, 'verify_email', now);
      if (!token) throw new AppError(400, 'token_invalid');
      const user = await User.findByPk(token.userId);
      if (!user) throw new AppError(400, 'token_invalid');
      await db.sequelize.transaction(async (transaction) => {
        if (!(await useToken(token, now, transaction))) throw new AppError(400, 'token_invalid');
        if (user.pendingEmail) {
          const clash = await User.count({ where: { email: user.pendingEmail, id: { [Op.ne]: user.id } }, transaction });
          if (clash > 0) throw new AppError(409, 'email_taken');
          user.email = user.pendingEmail;
          user.pendingEmail = null;
        }
        user.emailVerifiedAt = now;
        await user.save({ transaction });
      });
      logger.info({ userId: user.id }, 'e-mail verified');
      return user;
    },

    /**
     * True when the link was a real verification link that has been used and its
     * account's address is verified: a tenant clicking it again is told so, not that
     * the link is broken. Only the holder of the link can learn this.
     */
    async alreadyVerifiedBy(raw: unknown): Promise<boolean> {
      if (typeof raw !== 'string' || raw.length < 20 || raw.length > 100) return false;
      const token = await Token.findOne({ where: { tokenHash: hashToken(raw), purpose: 'verify_email', usedAt: { [Op.ne]: null } } });
      if (!token) return false;
      const user = await User.findByPk(token.userId, { attributes: ['id', 'emailVerifiedAt', 'pendingEmail'] });
      return !!user && user.emailVerifiedAt !== null && user.pendingEmail === null;
    },

    async resendVerification(user: User): Promise<void> {
      await deps.rateLimits.get('mail').consume(`user:${user.id}`);
      await sendVerification(user, user.pendingEmail ?? user.email);
    },

    /**
     * Checks a username-or-e-mail and password. Returns the user, or null with the same
     * timing whether the account is missing or the password is wrong. Rate limits are
     * kept per account and per IP; a locked account stays locked even with the right password.
     */
    async authenticate(identifier: string, password: string, ip: string): Promise<User> {
      const limits = deps.rateLimits;
      const id = identifier.trim().toLowerCase();
      const accountKey = `acct:${id}`;
      const blockedIp = await limits.get('loginIp').isBlocked(ip);
      const blockedAccount = await limits.get('loginAccount').isBlocked(accountKey);
      if (blockedIp || blockedAccount) {
        throw new AppError(429, 'login_locked', { retryAfterSeconds: Math.max(blockedIp || 0, blockedAccount || 0) });
      }
      const user = id === '' ? null : await User.findOne({ where: id.includes('@') ? { email: id } : { usernameLower: id } });
      const ok = user
        ? await verifyPassword(user.passwordHash, password)
        : (await verifyPassword(await dummyPasswordHash(config), password), false);
      if (!user || !ok) {
        // Count the failure against both keys; the error does not say which part was wrong.
        await Promise.allSettled([limits.get('loginIp').consume(ip), limits.get('loginAccount').consume(accountKey)]);
        logger.info({ userId: user?.id }, 'sign-in failed');
        throw new AppError(401, 'login_failed');
      }
      if (user.isSuspended) {
        throw new AppError(403, 'account_suspended', { params: { reason: user.suspendedReason ?? '' } });
      }
      await limits.get('loginAccount').reset(accountKey);
      return user;
    },

    async recordLogin(user: User): Promise<void> {
      // Signing in restarts the three-month retention clock and clears an old purge warning.
      await user.update({ lastLoginAt: clock(), purgeWarningFor: null });
      logger.info({ userId: user.id }, 'signed in');
    },

    /** Same answer and the same work whether or not the address is registered. */
    async requestPasswordReset(emailInput: string, ip: string): Promise<void> {
      await deps.rateLimits.get('forgotIp').consume(ip);
      const email = normaliseEmail(emailInput);
      if (checkEmail(email)) throw ValidationFailed({ email: 'errors:field.email' });
      const user = await User.findOne({ where: { email } });
      if (!user || user.isSuspended) return;
      try {
        await deps.rateLimits.get('mail').consume(`user:${user.id}`);
      } catch {
        return; // over the limit: quietly send nothing, the answer stays the same
      }
      const raw = await issueToken(user.id, 'reset_password', RESET_TTL_MS, clock());
      await sendMail('reset-password', user, user.email, {
        link: `${config.baseUrl}/reset-password?token=${encodeURIComponent(raw)}`,
        username: user.username,
      });
    },

    async checkResetToken(raw: unknown): Promise<Token> {
      const token = await findValidToken(raw, 'reset_password', clock());
      if (!token) throw new AppError(400, 'token_invalid');
      return token;
    },

    /** Sets a new password from a reset link; returns the user so the caller can end sessions. */
    async resetPassword(raw: unknown, password: string, confirm: string): Promise<User> {
      const token = await this.checkResetToken(raw);
      const user = await User.findByPk(token.userId);
      if (!user) throw new AppError(400, 'token_invalid');
      const pw = passwordErrorKey(
        passwordProblem(password, { username: user.username, email: user.email, min: user.isAdmin ? ADMIN_PASSWORD_MIN : undefined }),
      );
      if (pw) throw ValidationFailed({ password: pw });
      if (password !== confirm) throw ValidationFailed({ password_confirm: 'errors:password.mismatch' });
      const passwordHash = await hashPassword(password, config);
      await db.sequelize.transaction(async (transaction) => {
        if (!(await useToken(token, clock(), transaction))) throw new AppError(400, 'token_invalid');
        // Following the link proves the address works.
        await user.update({ passwordHash, emailVerifiedAt: user.emailVerifiedAt ?? clock() }, { transaction });
      });
      logger.info({ userId: user.id }, 'password reset');
      return user;
    },

    async changePassword(user: User, current: string, password: string, confirm: string): Promise<void> {
      if (!(await verifyPassword(user.passwordHash, current))) {
        throw ValidationFailed({ current_password: 'errors:password.current_wrong' });
      }
      const pw = passwordErrorKey(
        passwordProblem(password, { username: user.username, email: user.email, min: user.isAdmin ? ADMIN_PASSWORD_MIN : undefined }),
      );
      if (pw) throw ValidationFailed({ password: pw });
      if (password !== confirm) throw ValidationFailed({ password_confirm: 'errors:password.mismatch' });
      await user.update({ passwordHash: await hashPassword(password, config) });
      logger.info({ userId: user.id }, 'password changed');
    },

    /** A new address is kept aside until the link sent to it is followed. */
    async requestEmailChange(user: User, emailInput: string): Promise<boolean> {
      const email = normaliseEmail(emailInput);
      if (email === user.email) {
        if (user.pendingEmail) await user.update({ pendingEmail: null });
        return false;
      }
      const problem = checkEmail(email);
      if (problem) throw ValidationFailed({ email: problem });
      if ((await User.count({ where: { email, id: { [Op.ne]: user.id } } })) > 0) {
        throw ValidationFailed({ email: 'errors:email.taken' });
      }
      await deps.rateLimits.get('mail').consume(`user:${user.id}`);
      await user.update({ pendingEmail: email });
      await sendVerification(user, email);
      logger.info({ userId: user.id }, 'e-mail change requested');
      return true;
    },

    async updateSettings(
      user: User,
      input: { phone: string; showPhone: boolean; locale: Locale; notifyMessages: boolean; emailsEnabled?: boolean },
    ): Promise<void> {
      if (input.phone.trim() !== '' && !PHONE_RE.test(input.phone.trim())) throw ValidationFailed({ phone: 'errors:field.phone' });
      await user.update({
        phone: normalisePhone(input.phone),
        showPhone: input.showPhone,
        locale: input.locale,
        notifyMessages: input.notifyMessages,
        ...(input.emailsEnabled === undefined ? {} : { emailsEnabled: input.emailsEnabled }),
      });
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
