import type { User } from '../../models/user';
import { Forbidden, NotFound } from '../errors';
import { accountRules } from './account';
import { messageRules } from './message';
import { adminRules } from './admin';
import { listingRules } from './listing';
import { photoRules } from './photo';

// Who may do what. Each area of the product has a file of one-line rules; `can` is also
// given to templates so a button shows exactly when the server would allow the action.
export type Actor = User | undefined;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Rule = (actor: Actor, target?: any) => boolean;

export { actsAsModerator } from './moderator';

const RULES: Record<string, Rule> = {
  ...accountRules,
  ...messageRules,
  ...adminRules,
  ...listingRules,
  ...photoRules,
};

export function registerRules(rules: Record<string, Rule>): void {
  Object.assign(RULES, rules);
}

export function can(actor: Actor, action: string, target?: unknown): boolean {
  const rule = RULES[action];
  if (!rule) throw new Error(`No policy rule for "${action}"`);
  return rule(actor, target);
}

/**
 * Throws unless the actor may act. `hide: true` answers 404 instead of 403, for objects
 * whose very existence must not be revealed (another tenant's conversation).
 */
export function authorize(actor: Actor, action: string, target?: unknown, opts: { hide?: boolean } = {}): void {
  if (!can(actor, action, target)) throw opts.hide ? NotFound() : Forbidden();
}
