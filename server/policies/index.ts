import { AppError, NotFound } from '../errors';
import { accountRules } from './account';
import { alertRules } from './alerts';
import { adminRules } from './admin';
import type { Actor, Decision, Rule } from './decision';
import { listingRules } from './listing';
import { photoRules } from './photo';
import { messageRules } from './message';

// Who may do what. Each area of the product has a file of small rules; each rule answers
// allowed, or denied with a reason (decision.ts). `explain` gives the answer, `can` the
// yes/no templates use so a button shows exactly when the server would allow the
// action, `authorize` turns a denial into the HTTP error.
export { actsAsModerator, REASONS, type Actor, type Decision, type Reason } from './decision';

const RULES: Readonly<Record<string, Rule>> = {
  ...accountRules,
  ...messageRules,
  ...adminRules,
  ...listingRules,
  ...photoRules,
  ...alertRules,
};

/** The actions the policies know. */
export const ACTIONS: readonly string[] = Object.keys(RULES);

export function explain(actor: Actor, action: string, target?: unknown): Decision {
  const rule = RULES[action];
  if (!rule) throw new Error(`No policy rule for "${action}"`);
  return rule(actor, target);
}

export function can(actor: Actor, action: string, target?: unknown): boolean {
  return explain(actor, action, target).ok;
}

/**
 * The HTTP error for a denial: 404 when the actor may not see the object (or `hide`),
 * else 403 carrying the reason, which the error page shows.
 */
export function deniedError(decision: Decision & { ok: false }, opts: { hide?: boolean } = {}): AppError {
  if (opts.hide || decision.reason === 'not_visible') return NotFound();
  return new AppError(403, 'forbidden', { reason: decision.reason });
}

/**
 * Throws unless the actor may act. `hide: true` answers 404 instead of 403, for objects
 * whose very existence must not be revealed (another tenant's conversation).
 */
export function authorize(actor: Actor, action: string, target?: unknown, opts: { hide?: boolean } = {}): void {
  const decision = explain(actor, action, target);
  if (!decision.ok) throw deniedError(decision, opts);
}
