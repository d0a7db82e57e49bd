import type { Decision, Reason } from '../policies';

/** A problem shown above a form: an i18n key and its parameters. */
export interface Problem {
  key: string;
  params?: Record<string, unknown>;
}

// Where writing a message is refused, some reasons have words of their own (the
// verification link, "not to yourself"); every other reason has one general text.
const MESSAGE_WORDS: readonly Reason[] = ['not_verified', 'own_listing'];

/** The i18n key that tells the person refused why (policies:reasons.<reason>, or the area's own words). */
export function reasonKey(reason: Reason, area?: 'message'): string {
  return area === 'message' && MESSAGE_WORDS.includes(reason) ? `policies:message.${reason}` : `policies:reasons.${reason}`;
}

/** A refusal as the problem above a form, or null when the policy allowed it. */
export function presentRefusal(decision: Decision, area?: 'message'): Problem | null {
  return decision.ok ? null : { key: reasonKey(decision.reason, area) };
}
