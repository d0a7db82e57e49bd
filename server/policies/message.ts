import type { ConversationAccess } from '../types/domain';
import { allow, deny, mayWrite, type Actor, type Decision, type Rule } from './decision';

/** A listing as a model or a presented object: its state and its owner's id. */
interface ListingTarget {
  status?: string;
  userId?: number;
  ownerId?: number;
}

function participant(actor: Actor, c?: ConversationAccess): Decision {
  if (!actor) return deny('not_signed_in');
  return c && c.participantIds.includes(actor.id) ? allow : deny('not_participant');
}

// Private messages (docs/product.md, "Messages"). Reading needs only to be one of the
// two participants; writing also needs a verified address, like publishing a listing.
// Blocks are data, not rules: the service checks them when a message is sent.
export const messageRules: Record<string, Rule> = {
  // Only an active listing can be written about: for writing, any other is not there.
  'message.start': (actor, listing?: ListingTarget) => {
    if (!actor) return deny('not_signed_in');
    if (!listing || listing.status !== 'active') return deny('not_visible');
    if ((listing.userId ?? listing.ownerId) === actor.id) return deny('own_listing');
    return mayWrite(actor);
  },
  'conversation.view': participant,
  'conversation.reply': (actor, c?: ConversationAccess) => {
    const inIt = participant(actor, c);
    return inIt.ok ? mayWrite(actor) : inIt;
  },
};
