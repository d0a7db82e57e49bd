import crypto from 'node:crypto';
import { Op, UniqueConstraintError, type Transaction } from 'sequelize';
import { z } from 'zod';
import { Token } from '../../models/token';
import { User, type Locale } from '../../models/user';
import { hashPassword, passwordProblem, verifyPassword, dummyPasswordHash, ADMIN_PASSWORD_MIN } from '../auth/passwords';
import type { AppDeps } from '../context';
import { AppError, isAppError, ValidationFailed, type FieldErrors } from '../errors';
import { enqueueMail } from '../mail/queue';
import { renderMail } from '../mail/templates';
import { findValidToken, hashToken, issueToken, useToken } from './tokens';

export const VERIFY_TTL_MS = 7 * 24 * 3600 * 1000;
export const RESET_TTL_MS = 3600 * 1000;
/** How long the old address can undo an e-mail change. */
export const UNDO_EMAIL_TTL_MS = 7 * 24 * 3600 * 1000;

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
  const { config, clock, logger, db } = deps;

  // Mail is queued, never sent here (server/mail/queue.ts): in the caller's transaction,
  // so the action and its mail commit together, and the mail server's state cannot fail
  // or slow the request.
  async function sendMail(name: string, user: User, to: string, data: Record<string, unknown>, transaction?: Transaction) {
    const mail = await renderMail(name, to, user.locale, data, config.org.name);
    await enqueueMail(mail, { userId: user.id, purpose: name, now: clock(), transaction });
    logger.info({ userId: user.id, mail: name }, 'mail queued');
  }

  async function sendVerification(user: User, address: string, transaction?: Transaction): Promise<void> {
    const raw = await issueToken(user.id, 'verify_email', VERIFY_TTL_MS, clock(), transaction);
    await sendMail(
      'verify-email',
      user,
      address,
      {
        link: `${config.baseUrl}/verify-email?token=${encodeURIComponent(raw)}`,
        username: user.username,
      },
      transaction,
    );
  }

  /** The old address learns of a change at once, with a link that undoes it. */
  async function sendUndoNotice(user: User, transaction?: Transaction): Promise<void> {
    const raw = await issueToken(user.id, 'undo_email', UNDO_EMAIL_TTL_MS, clock(), transaction, user.email);
    await sendMail(
      'email-changed',
      user,
      user.email,
      {
        link: `${config.baseUrl}/email-change/undo?token=${encodeURIComponent(raw)}`,
        username: user.username,
        days: UNDO_EMAIL_TTL_MS / 86_400_000,
      },
      transaction,
    );
  }

  /**
   * Someone (registering, or changing their address) gave an address that is already an
   * account's: its owner is told, and the visitor's answer stays "check your inbox".
   * At most MAIL_MAX_PER_HOUR of these per account, so nobody can flood an inbox.
   */
  async function mailAddressOwner(owner: User, transaction?: Transaction): Promise<void> {
    if (!(await ownerNoticeAllowed(owner))) return;
    await queueOwnerNotice(owner, transaction);
  }

  /** Counts one notice to the owner of a taken address; false when over the limit. */
  async function ownerNoticeAllowed(owner: User): Promise<boolean> {
    try {
      await deps.rateLimits.get('mail').consume(`user:${owner.id}`);
      return true;
    } catch {
      return false;
    }
  }

  async function queueOwnerNotice(owner: User, transaction?: Transaction): Promise<void> {
    await sendMail(
      'address-in-use',
      owner,
      owner.email,
      {
        username: owner.username,
        link: `${config.baseUrl}/forgot-password`,
      },
      transaction,
    );
  }

  /** Counts one guess; over the limit it throws `errorId` (429) with the wait. */
  async function countGuess(limit: 'loginIp' | 'loginAccount', key: string, errorId: string): Promise<void> {
    try {
      await deps.rateLimits.get(limit).consume(key);
    } catch (err) {
      if (isAppError(err) && err.status === 429) {
        throw new AppError(429, errorId, { retryAfterSeconds: err.details.retryAfterSeconds });
      }
      throw err;
    }
  }

  /**
   * Checks the current password of a signed-in tenant (password change, e-mail change,
   * deletion): counted against the account's sign-in limit before it is checked, so an
   * open session cannot be used as an unlimited password oracle. False when wrong.
   */
  async function checkCurrentPassword(user: User, password: string): Promise<boolean> {
    const key = `user:${user.id}`;
    await countGuess('loginAccount', key, 'login_locked');
    if (!(await verifyPassword(user.passwordHash, password))) {
      logger.info({ userId: user.id }, 'current password wrong');
      return false;
    }
    await deps.rateLimits.get('loginAccount').giveBack(key);
    return true;
  }

  return {
    /**
     * Creates an account and mails the verification link. When the address already
     * belongs to an account, nothing is created, its owner is mailed instead and null is
     * returned: the visitor's answer must not tell whether an address is registered.
     * (The operator's CLI, `verified: true`, is told plainly.) Usernames are public to
     * signed-in tenants, so a taken one is said next to the field.
     */
    async register(input: RegistrationInput, opts: { role?: 'tenant' | 'admin'; verified?: boolean } = {}): Promise<User | null> {
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
        else if (taken && opts.verified) fields.email = 'errors:email.taken';
        else if (taken) {
          // The same costly work as a real registration, so the timing does not tell either.
          await hashPassword(input.password, config);
          const owner = await User.findOne({ where: { email } });
          if (owner) await mailAddressOwner(owner);
          logger.info({ userId: owner?.id }, 'registration with a registered address');
          return null;
        }
      }
      if (Object.keys(fields).length > 0) throw ValidationFailed(fields);
      const now = clock();
      const passwordHash = await hashPassword(input.password, config);
      let user: User;
      try {
        // The account and its verification mail commit together.
        user = await db.sequelize.transaction(async (transaction) => {
          const created = await User.create(
            {
              username,
              usernameLower: username.toLowerCase(),
              email,
              phone,
              passwordHash,
              role: opts.role ?? 'tenant',
              locale: input.locale,
              notifyMessages: input.notifyMessages ?? true,
              emailVerifiedAt: opts.verified ? now : null,
              pendingEmail: null,
              suspendedAt: null,
              suspendedReason: null,
              totpSecret: null,
              totpLastStep: null,
              lastLoginAt: now,
              purgeWarningFor: null,
            },
            { transaction },
          );
          if (!opts.verified) await sendVerification(created, email, transaction);
          return created;
        });
      } catch (err) {
        if (err instanceof UniqueConstraintError) throw ValidationFailed({ username: 'errors:username.taken' });
        throw err;
      }
      logger.info({ userId: user.id }, 'account registered');
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
      // The old address must not linger in SQLite's write-ahead log.
      await db.checkpoint();
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
      const token = await Token.findOne({
        where: { tokenHash: hashToken(raw), purpose: 'verify_email', usedAt: { [Op.ne]: null } },
      });
      if (!token) return false;
      const user = await User.findByPk(token.userId, { attributes: ['id', 'emailVerifiedAt', 'pendingEmail'] });
      return !!user && user.emailVerifiedAt !== null && user.pendingEmail === null;
    },

    async resendVerification(user: User): Promise<void> {
      await deps.rateLimits.get('mail').consume(`user:${user.id}`);
      // A pending address that belongs to another account gets its owner's notice again,
      // never a verification link (the answer stays the same).
      const owner = user.pendingEmail
        ? await User.findOne({ where: { email: user.pendingEmail, id: { [Op.ne]: user.id } } })
        : null;
      if (owner) return mailAddressOwner(owner);
      await db.sequelize.transaction((transaction) => sendVerification(user, user.pendingEmail ?? user.email, transaction));
    },

    /**
     * Checks a username-or-e-mail and password. Returns the user, or throws the same
     * error with the same work whether the account is missing or the password is wrong.
     * Each guess is counted per IP and per account *before* the password is checked, in
     * one atomic step each, so a burst of parallel guesses gets no more than the limit
     * checked; a right password gives back only its own count. A locked account stays
     * locked even for the right password. Username and e-mail address share one counter.
     */
    async authenticate(identifier: string, password: string, ip: string): Promise<User> {
      const limits = deps.rateLimits;
      const id = identifier.trim().toLowerCase();
      const user = id === '' ? null : await User.findOne({ where: id.includes('@') ? { email: id } : { usernameLower: id } });
      const accountKey = user ? `user:${user.id}` : `acct:${id}`;
      await countGuess('loginIp', ip, 'login_locked');
      try {
        await countGuess('loginAccount', accountKey, 'login_locked');
      } catch (err) {
        await limits.get('loginIp').giveBack(ip);
        throw err;
      }
      const ok = user
        ? await verifyPassword(user.passwordHash, password)
        : (await verifyPassword(await dummyPasswordHash(config), password), false);
      if (!user || !ok) {
        logger.info({ userId: user?.id }, 'sign-in failed');
        throw new AppError(401, 'login_failed');
      }
      // Only this attempt's own counts are given back: failures counted by other
      // requests of the same burst stay.
      await Promise.all([limits.get('loginAccount').giveBack(accountKey), limits.get('loginIp').giveBack(ip)]);
      if (user.isSuspended) {
        throw new AppError(403, 'account_suspended', { params: { reason: user.suspendedReason ?? '' } });
      }
      return user;
    },

    checkCurrentPassword,

    async recordLogin(user: User): Promise<void> {
      // Signing in restarts the three-month retention clock and clears an old purge warning.
      await user.update({ lastLoginAt: clock(), purgeWarningFor: null });
      logger.info({ userId: user.id }, 'signed in');
    },

    /**
     * Same answer and the same work whether or not the address is registered: a limit
     * is counted, a token is made and a mail rendered either way; only the mail to an
     * address without an account is never handed to the mailer.
     */
    async requestPasswordReset(emailInput: string, ip: string): Promise<void> {
      await deps.rateLimits.get('forgotIp').consume(ip);
      const email = normaliseEmail(emailInput);
      if (checkEmail(email)) throw ValidationFailed({ email: 'errors:field.email' });
      const found = await User.findOne({ where: { email } });
      const user = found && !found.isSuspended ? found : null;
      try {
        await deps.rateLimits.get('mail').consume(user ? `user:${user.id}` : `email:${email}`);
      } catch {
        return; // over the limit: quietly send nothing, the answer stays the same
      }
      if (!user) {
        // The same lookups and rendering as for a real account, so the answer takes as long.
        await findValidToken(crypto.randomBytes(32).toString('base64url'), 'reset_password', clock());
        await renderMail(
          'reset-password',
          email,
          'sv',
          {
            link: `${config.baseUrl}/reset-password?token=${'x'.repeat(43)}`,
            username: '',
          },
          config.org.name,
        );
        return;
      }
      await db.sequelize.transaction(async (transaction) => {
        const raw = await issueToken(user.id, 'reset_password', RESET_TTL_MS, clock(), transaction);
        await sendMail(
          'reset-password',
          user,
          user.email,
          {
            link: `${config.baseUrl}/reset-password?token=${encodeURIComponent(raw)}`,
            username: user.username,
          },
          transaction,
        );
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
        passwordProblem(password, {
          username: user.username,
          email: user.email,
          min: user.isAdmin ? ADMIN_PASSWORD_MIN : undefined,
        }),
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
      if (!(await checkCurrentPassword(user, current))) {
        throw ValidationFailed({ current_password: 'errors:password.current_wrong' });
      }
      const pw = passwordErrorKey(
        passwordProblem(password, {
          username: user.username,
          email: user.email,
          min: user.isAdmin ? ADMIN_PASSWORD_MIN : undefined,
        }),
      );
      if (pw) throw ValidationFailed({ password: pw });
      if (password !== confirm) throw ValidationFailed({ password_confirm: 'errors:password.mismatch' });
      await user.update({ passwordHash: await hashPassword(password, config) });
      logger.info({ userId: user.id }, 'password changed');
    },

    /**
     * A new address is kept aside until the link sent to it is followed. The current
     * password is needed (a borrowed session must not become a takeover), the old
     * address is told and gets a link that undoes the change, and the answer is the same
     * whether or not the new address belongs to someone else: that owner is mailed instead.
     */
    async requestEmailChange(user: User, emailInput: string, currentPassword: string): Promise<boolean> {
      const email = normaliseEmail(emailInput);
      if (email === user.email) {
        if (user.pendingEmail) await user.update({ pendingEmail: null });
        return false;
      }
      if (email === user.pendingEmail) return true;
      const problem = checkEmail(email);
      if (problem) throw ValidationFailed({ email: problem });
      if (currentPassword === '') throw ValidationFailed({ current_password: 'account:email_change.password_needed' });
      if (!(await checkCurrentPassword(user, currentPassword))) {
        throw ValidationFailed({ current_password: 'errors:password.current_wrong' });
      }
      // Counted before the address is looked up, so the answer cannot be asked for freely.
      await deps.rateLimits.get('mail').consume(`user:${user.id}`);
      const owner = await User.findOne({ where: { email, id: { [Op.ne]: user.id } } });
      // Counted before the transaction: a SQLite limiter waits for the same write queue.
      const noticeOwner = owner ? await ownerNoticeAllowed(owner) : false;
      await db.sequelize.transaction(async (transaction) => {
        await user.update({ pendingEmail: email }, { transaction });
        if (owner) {
          if (noticeOwner) await queueOwnerNotice(owner, transaction);
        } else {
          await sendVerification(user, email, transaction);
        }
        await sendUndoNotice(user, transaction);
      });
      await db.checkpoint();
      logger.info({ userId: user.id }, 'e-mail change requested');
      return true;
    },

    /** Finds a valid undo link without using it (GET shows a confirmation page). */
    async checkUndoEmailToken(raw: unknown): Promise<Token> {
      const token = await findValidToken(raw, 'undo_email', clock());
      if (!token || !token.payload) throw new AppError(400, 'token_invalid');
      return token;
    },

    /**
     * Puts the old address back (when nobody has taken it meanwhile), drops a pending
     * change and its links; the caller ends every session of the account.
     */
    async undoEmailChange(raw: unknown): Promise<User> {
      const token = await this.checkUndoEmailToken(raw);
      const now = clock();
      const user = await User.findByPk(token.userId);
      if (!user) throw new AppError(400, 'token_invalid');
      await db.sequelize.transaction(async (transaction) => {
        if (!(await useToken(token, now, transaction))) throw new AppError(400, 'token_invalid');
        const clash = await User.count({ where: { email: token.payload!, id: { [Op.ne]: user.id } }, transaction });
        if (clash > 0) throw new AppError(409, 'email_taken');
        await Token.destroy({ where: { userId: user.id, purpose: ['verify_email', 'reset_password'] }, transaction });
        await user.update(
          { email: token.payload!, pendingEmail: null, emailVerifiedAt: user.emailVerifiedAt ?? now },
          { transaction },
        );
      });
      await db.checkpoint();
      logger.info({ userId: user.id }, 'e-mail change undone');
      return user;
    },

    async updateSettings(
      user: User,
      input: { phone: string; showPhone: boolean; locale: Locale; notifyMessages: boolean; emailsEnabled?: boolean },
    ): Promise<void> {
      if (input.phone.trim() !== '' && !PHONE_RE.test(input.phone.trim()))
        throw ValidationFailed({ phone: 'errors:field.phone' });
      const phone = normalisePhone(input.phone);
      const phoneChanged = phone !== user.phone;
      await user.update({
        phone,
        showPhone: input.showPhone,
        locale: input.locale,
        notifyMessages: input.notifyMessages,
        ...(input.emailsEnabled === undefined ? {} : { emailsEnabled: input.emailsEnabled }),
      });
      // The old number must not linger in SQLite's write-ahead log after it was changed.
      if (phoneChanged) await db.checkpoint();
    },

    /** Turns all optional e-mail off (the message notices with it) or on again. */
    async setEmailsEnabled(user: User, enabled: boolean): Promise<void> {
      // "All e-mail off" also unticks the notices, so no box on the page says otherwise.
      await user.update(enabled ? { emailsEnabled: true } : { emailsEnabled: false, notifyMessages: false });
      logger.info({ userId: user.id, emailsEnabled: enabled }, 'e-mail setting changed');
    },

    /** The account behind a session, loaded afresh on every request; null when it is gone or suspended. */
    async signedIn(id: number): Promise<User | null> {
      const user = await User.findByPk(id);
      return user && !user.isSuspended ? user : null;
    },

    /** The account waiting for its second factor, when it may still give one (a moderator, not suspended). */
    async pendingModerator(userId: number): Promise<User | null> {
      const user = await User.findByPk(userId);
      return user && user.isAdmin && !user.isSuspended ? user : null;
    },

    /**
     * Claims a TOTP step for this moderator, with a conditional UPDATE, so two requests
     * racing with one code (or two app processes) cannot both succeed. The first code
     * accepted also confirms the enrolment. True when this request got the step.
     */
    async claimTotpStep(user: User, step: number, now: Date): Promise<boolean> {
      const [claimed] = await User.update(
        { totpLastStep: step, totpConfirmedAt: user.totpConfirmedAt ?? now },
        { where: { id: user.id, [Op.or]: [{ totpLastStep: null }, { totpLastStep: { [Op.lt]: step } }] } },
      );
      return claimed === 1;
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
