import { allow, deny, mayWrite, type Rule } from './decision';

export const accountRules: Record<string, Rule> = {
  'account.manage': (actor) => (actor ? allow : deny('not_signed_in')),
  // Publishing and messaging wait for a verified address (docs/product.md, "Accounts").
  'account.publish': (actor) => mayWrite(actor),
  // The role alone: the second factor is asked by the /admin guard itself.
  'admin.access': (actor) => (!actor ? deny('not_signed_in') : actor.isAdmin ? allow : deny('not_moderator')),
};
