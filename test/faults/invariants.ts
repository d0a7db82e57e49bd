// The board's own invariants, checked on a database after a crash. One function per
// invariant: it gets a query function and returns what it found wrong (empty: holds).
// Adding one is adding a function to INVARIANTS.

export type Query = <T = Record<string, unknown>>(sql: string) => Promise<T[]>;
export type Invariant = (q: Query) => Promise<string[]>;

/** A conversation nobody takes part in should have been deleted with its last participant. */
export const noConversationWithoutParticipants: Invariant = async (q) =>
  (await q<{ id: number }>(`SELECT c.id FROM conversations c
     WHERE NOT EXISTS (SELECT 1 FROM conversation_participants p WHERE p.conversation_id = c.id)`))
    .map((r) => `conversation ${r.id} has no participants`);

/** Every message's sender takes part in its conversation. */
export const messagesFromParticipants: Invariant = async (q) =>
  (await q<{ id: number }>(`SELECT m.id FROM messages m
     WHERE m.sender_id IS NOT NULL AND NOT EXISTS (
       SELECT 1 FROM conversation_participants p WHERE p.conversation_id = m.conversation_id AND p.user_id = m.sender_id)`))
    .map((r) => `message ${r.id} comes from someone outside its conversation`);

/** A conversation with messages has a last-message time no earlier than its newest message. */
export const conversationLastMessageCurrent: Invariant = async (q) =>
  (await q<{ id: number }>(`SELECT c.id FROM conversations c
     JOIN (SELECT conversation_id, MAX(created_at) AS newest FROM messages GROUP BY conversation_id) m ON m.conversation_id = c.id
     WHERE c.last_message_at IS NULL OR c.last_message_at < m.newest`))
    .map((r) => `conversation ${r.id} shows an older last message than it holds`);

/** Unread counts are never negative and never exceed the messages in the conversation. */
export const unreadCountsInRange: Invariant = async (q) =>
  (await q<{ conversation_id: number; user_id: number }>(`SELECT p.conversation_id, p.user_id FROM conversation_participants p
     WHERE p.unread_count < 0 OR p.unread_count > (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = p.conversation_id)`))
    .map((r) => `participant ${r.user_id} of conversation ${r.conversation_id} has an impossible unread count`);

/** A claimed mail is either still being sent (claimed) or back in the queue; never half. */
export const mailQueueRowsWhole: Invariant = async (q) =>
  (await q<{ id: number }>(`SELECT id FROM mail_queue
     WHERE (state = 'sending' AND (claimed_by IS NULL OR claimed_until IS NULL))
        OR (state = 'queued' AND recipient = '')
        OR (state = 'failed' AND recipient <> '')`))
    .map((r) => `mail ${r.id} is in an inconsistent state`);

export const INVARIANTS: Record<string, Invariant> = {
  noConversationWithoutParticipants,
  messagesFromParticipants,
  conversationLastMessageCurrent,
  unreadCountsInRange,
  mailQueueRowsWhole,
};

/** Every violation of every invariant, each prefixed with the invariant's name. */
export async function checkInvariants(q: Query): Promise<string[]> {
  const found: string[] = [];
  for (const [name, invariant] of Object.entries(INVARIANTS)) {
    for (const problem of await invariant(q)) found.push(`${name}: ${problem}`);
  }
  return found;
}
