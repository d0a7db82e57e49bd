import type { Rule } from './index';
import { actsAsModerator } from './moderator';

// Moderators' rules. Targets may be model instances or presented objects: both carry
// `status`, `id`, `isAdmin`, `isSuspended`, so templates show exactly the buttons the
// server would accept.
const isModerator = actsAsModerator;

export const adminRules: Record<string, Rule> = {
  'admin.report.handle': (actor, report) => isModerator(actor) && report?.status === 'open',
  // Hide or remove what the board shows; restore what a moderator took down.
  'admin.listing.hide': (actor, listing) => isModerator(actor) && ['active', 'paused'].includes(listing?.status),
  'admin.listing.restore': (actor, listing) => isModerator(actor) && ['hidden', 'removed'].includes(listing?.status),
  'admin.listing.remove': (actor, listing) => isModerator(actor) && ['active', 'paused', 'hidden'].includes(listing?.status),
  // Never oneself, never another moderator: moderators are managed from the command line.
  'admin.user.suspend': (actor, user) =>
    isModerator(actor) && !!user && user.id !== actor.id && !user.isAdmin && !user.isSuspended,
  'admin.user.unsuspend': (actor, user) => isModerator(actor) && !!user && user.isSuspended === true,
};
