import type { Request, Response } from 'express';
import type { User } from '../types/records';
import { establishSession } from '../auth/sign-in';
import { isAppError } from '../errors';
import { safeNext } from '../middleware/auth';
import { hasSecondFactor, PENDING_SECOND_FACTOR_MS } from '../middleware/second-factor';
import { checkTotp } from '../services/totp';
import { parseForm } from '../validation';
import { totpFieldError, totpSchema } from '../validation/totp';
import type { RouteContext } from './context';

// The second step of a moderator's sign-in. POST /login stops after the password with
// `pendingSecondFactor` in a fresh session; only a valid, unused TOTP code turns that
// into a signed-in session. Wrong codes are counted per account and locked out after
// TOTP_MAX_FAILURES; the pending state lapses after five minutes.
export function totpHandlers(ctx: RouteContext) {
  const { accounts } = ctx.services;
  const limit = () => ctx.rateLimits.get('totp');

  /** The moderator waiting for their second factor, or null (after clearing a lapsed state). */
  async function pendingUser(req: Request): Promise<User | null> {
    const pending = req.session.pendingSecondFactor;
    if (!pending) return null;
    const lapsed = ctx.clock().getTime() - pending.at > PENDING_SECOND_FACTOR_MS;
    const user = lapsed ? null : await accounts.pendingModerator(pending.userId);
    if (!user) {
      delete req.session.pendingSecondFactor;
      if (lapsed) req.flash('info', 'admin:totp.expired');
      return null;
    }
    return user;
  }

  async function render(
    res: Response,
    user: User,
    next: string,
    status = 200,
    problem: string | null = null,
    params: Record<string, unknown> = {},
  ) {
    // The secret is never shown here: whoever reached this page has given a password
    // only, and that must not be enough to enrol an authenticator. The moderator adds
    // the secret the operator's CLI printed; until a first code proves it, a note says so.
    const enrol = !!user.totpSecret && !user.totpConfirmedAt;
    // Without a secret there is nothing to check against: the operator must run `promote`.
    const shown = user.totpSecret ? problem : 'no_secret';
    res.status(status).render('auth/totp', {
      next,
      problem: shown,
      problemParams: params,
      fieldProblem: totpFieldError(shown),
      enrol,
      hasSecret: !!user.totpSecret,
    });
  }

  const backToLogin = (res: Response, next: string) =>
    res.redirect(303, next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`);

  async function show(req: Request, res: Response) {
    const next = safeNext(req.query.next);
    if (hasSecondFactor(req)) return res.redirect(303, next);
    const user = await pendingUser(req);
    if (!user) return backToLogin(res, next);
    await render(res, user, next);
  }

  async function create(req: Request, res: Response) {
    const body = req.body as Record<string, unknown> | undefined;
    const next = safeNext(body?.next);
    const user = await pendingUser(req);
    if (!user) return backToLogin(res, next);
    if (!user.totpSecret) return render(res, user, next, 403);
    const key = `user:${user.id}`;
    // The guess is counted before the code is checked, in one atomic step, so a burst of
    // parallel codes gets no more than TOTP_MAX_FAILURES checked; a right code gives
    // back its own count only (never a reset that would clear the rest of the burst).
    try {
      await limit().consume(key);
    } catch (err) {
      if (isAppError(err) && err.status === 429) {
        const seconds = err.details.retryAfterSeconds ?? 900;
        res.set('Retry-After', String(seconds));
        return render(res, user, next, 429, 'locked', { minutes: Math.ceil(seconds / 60) });
      }
      throw err;
    }
    const parsed = parseForm(totpSchema, body);
    const now = ctx.clock();
    const check = parsed.ok
      ? await checkTotp(user.totpSecret, parsed.data.totp, now, user.totpLastStep)
      : ({ ok: false, problem: 'format' } as const);
    const claimed = check.ok ? await accounts.claimTotpStep(user, check.step, now) : false;
    if (!check.ok || !claimed) {
      const problem = check.ok ? 'reused' : check.problem;
      ctx.logger.info({ userId: user.id, problem }, 'second factor refused');
      return render(res, user, next, 422, problem);
    }
    await limit().giveBack(key);
    const weak = req.session.pendingSecondFactor?.weakPassword === true;
    await establishSession(req, user, now);
    req.session.secondFactor = { userId: user.id, at: now.getTime() };
    if (weak) req.session.weakModeratorPassword = user.id;
    await accounts.recordLogin(user);
    // A moderator's work starts on /admin, unless they were on their way somewhere.
    res.redirect(303, next === '/' ? '/admin' : next);
  }

  return { show, create };
}
