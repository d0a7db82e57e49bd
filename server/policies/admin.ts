import { actsAsModerator, allow, deny, type Actor, type Decision, type Rule } from './decision';

// Moderators' rules. Targets may be model instances or presented objects: both carry
// `status`, `id`, `isAdmin`, `isSuspended`, so templates show exactly the buttons the
// server would accept.

/** A moderator acting as one, and the target in one of the states the action applies to. */
function moderatorAnd(actor: Actor, inState: boolean, otherwise: Decision): Decision {
  if (!actsAsModerator(actor)) return deny('not_moderator');
  return inState ? allow : otherwise;
}

const wrongState = deny('wrong_state');

export const adminRules: Record<string, Rule> = {
  'admin.report.handle': (actor, report) => moderatorAnd(actor, report?.status === 'open', deny('report_closed')),
  // Hide or remove what the board shows; restore what a moderator took down.
  'admin.listing.hide': (actor, listing) => moderatorAnd(actor, ['active', 'paused'].includes(listing?.status), wrongState),
  'admin.listing.restore': (actor, listing) => moderatorAnd(actor, ['hidden', 'removed'].includes(listing?.status), wrongState),
  'admin.listing.remove': (actor, listing) =>
    moderatorAnd(actor, ['active', 'paused', 'hidden'].includes(listing?.status), wrongState),
  // Never oneself, never another moderator: moderators are managed from the command line.
  'admin.user.suspend': (actor, user) => {
    if (!actsAsModerator(actor)) return deny('not_moderator');
    if (!user || user.id === actor.id || user.isAdmin) return deny('protected_account');
    return user.isSuspended ? deny('already_done') : allow;
  },
  'admin.user.unsuspend': (actor, user) => moderatorAnd(actor, !!user && user.isSuspended === true, deny('already_done')),
};
