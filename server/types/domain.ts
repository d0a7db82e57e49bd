// Shapes that several layers share (services build them, policies judge them, handlers
// pass them on). This module is the bottom layer: it imports nothing from the board.

/** What the conversation rules need to know: who takes part in it now. */
export interface ConversationAccess {
  id: number;
  participantIds: number[];
}

/** A conversation as the handlers and policies see it: its columns and who is in it now. */
export interface ConversationRef extends ConversationAccess {
  listingId: number | null;
  startedById: number | null;
  lastSenderId: number | null;
  lastMessageAt: Date;
}

/** Ends sessions of one account (the session store does it; services ask for it). */
export interface SessionEnder {
  /** Ends every session of one account, except (optionally) the one in use. */
  endAllFor(userId: number, exceptSid?: string): Promise<number>;
}
