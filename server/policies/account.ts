import type { Rule } from './index';

export const accountRules: Record<string, Rule> = {
  'account.manage': (actor) => !!actor,
  // Publishing and messaging wait for a verified address (SPEC §5).
  'account.publish': (actor) => !!actor && actor.isVerified && !actor.isSuspended,
  'admin.access': (actor) => !!actor && actor.isAdmin,
};
