import type { Rule } from './index';

/** What the conversation rules need to know: who takes part in it now. */
export interface ConversationAccess {
  id: number;
  participantIds: number[];
}

/** A listing as a model or a presented object: its state and its owner's id. */
interface ListingTarget {
  status?: string;
  userId?: number;
  ownerId?: number;
}

const mayWrite = (actor: Parameters<Rule>[0]) => !!actor && actor.isVerified && !actor.isSuspended;
const isParticipant = (actor: Parameters<Rule>[0], c?: ConversationAccess) =>
  !!actor && !!c && c.participantIds.includes(actor.id);

// Private messages (SPEC §7). Reading needs only to be one of the two participants;
// writing also needs a verified address, like publishing a listing (SPEC §5). Blocks are
// data, not rules: the service checks them when a message is sent.
export const messageRules: Record<string, Rule> = {
  'message.start': (actor, listing?: ListingTarget) =>
    mayWrite(actor) && !!listing && listing.status === 'active' && (listing.userId ?? listing.ownerId) !== actor!.id,
  'conversation.view': (actor, c?: ConversationAccess) => isParticipant(actor, c),
  'conversation.reply': (actor, c?: ConversationAccess) => isParticipant(actor, c) && mayWrite(actor),
};
