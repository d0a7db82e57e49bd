import type { User } from '../types/records';

// What a policy rule answers: allowed, or denied with the reason. The reasons are the
// board's words for "why not" (each has a text in server/i18n/locales/*/policies.json,
// shown to the person refused), and handlers map a few of them to an HTTP answer:
// `not_visible` is a 404 (the object's existence is not revealed), `wrong_state` sends
// the owner back to the listing with a message, the rest are 403.

export type Actor = User | undefined;

export const REASONS = [
  /** Not signed in. */
  'not_signed_in',
  /** The e-mail address is not verified yet (publishing and writing wait for it). */
  'not_verified',
  /** The account is suspended. */
  'suspended',
  /** The actor may not even see the object: answered as "not found". */
  'not_visible',
  /** Only the listing's owner may do this. */
  'not_owner',
  /** Not for one's own listing (writing to, saving or reporting it). */
  'own_listing',
  /** The listing is not on show (paused, hidden or removed). */
  'not_active',
  /** The owner's listing is in a state where this action does not apply (pausing twice). */
  'wrong_state',
  /** Not one of the conversation's two participants. */
  'not_participant',
  /** Needs a moderator who gave their second factor in this session. */
  'not_moderator',
  /** Moderators are not suspended from the web pages (nor is oneself). */
  'protected_account',
  /** The account is already suspended, or is not suspended. */
  'already_done',
  /** The report is already closed. */
  'report_closed',
  /** The owner keeps their phone number to themselves. */
  'phone_hidden',
] as const;

export type Reason = (typeof REASONS)[number];
export type Decision = { ok: true } | { ok: false; reason: Reason };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Rule = (actor: Actor, target?: any) => Decision;

export const allow: Decision = { ok: true };
export const deny = (reason: Reason): Decision => ({ ok: false, reason });

/**
 * A moderator acting as one: the role AND a session that passed the second factor. A
 * moderator signed in with a password only (or a tenant just promoted) has a tenant's powers.
 */
export const actsAsModerator = (actor: Actor): actor is User => !!actor && actor.isAdmin && actor.secondFactorPassed === true;

/** Signed in, verified and not suspended: what publishing and writing need. */
export function mayWrite(actor: Actor): Decision {
  if (!actor) return deny('not_signed_in');
  if (!actor.isVerified) return deny('not_verified');
  if (actor.isSuspended) return deny('suspended');
  return allow;
}
