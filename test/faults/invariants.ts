// The board's own invariants, checked on a database after a crash. One function per
// invariant: it gets a query function and returns what it found wrong (empty: holds).
// Adding one is adding a function to INVARIANTS.

import { candidateFlat, candidateWish, fitSql } from '../../server/services/fit';

export type Query = <T = Record<string, unknown>>(sql: string) => Promise<T[]>;
export type Invariant = (q: Query) => Promise<string[]>;

/** A conversation nobody takes part in should have been deleted with its last participant. */
export const noConversationWithoutParticipants: Invariant = async (q) =>
  (
    await q<{ id: number }>(`SELECT c.id FROM conversations c
     WHERE NOT EXISTS (SELECT 1 FROM conversation_participants p WHERE p.conversation_id = c.id)`)
  ).map((r) => `conversation ${r.id} has no participants`);

/** Every message's sender takes part in its conversation. */
export const messagesFromParticipants: Invariant = async (q) =>
  (
    await q<{ id: number }>(`SELECT m.id FROM messages m
     WHERE m.sender_id IS NOT NULL AND NOT EXISTS (
       SELECT 1 FROM conversation_participants p WHERE p.conversation_id = m.conversation_id AND p.user_id = m.sender_id)`)
  ).map((r) => `message ${r.id} comes from someone outside its conversation`);

/** A conversation with messages has a last-message time no earlier than its newest message. */
export const conversationLastMessageCurrent: Invariant = async (q) =>
  (
    await q<{ id: number }>(`SELECT c.id FROM conversations c
     JOIN (SELECT conversation_id, MAX(created_at) AS newest FROM messages GROUP BY conversation_id) m ON m.conversation_id = c.id
     WHERE c.last_message_at IS NULL OR c.last_message_at < m.newest`)
  ).map((r) => `conversation ${r.id} shows an older last message than it holds`);

/** Unread counts are never negative and never exceed the messages in the conversation. */
export const unreadCountsInRange: Invariant = async (q) =>
  (
    await q<{ conversation_id: number; user_id: number }>(`SELECT p.conversation_id, p.user_id FROM conversation_participants p
     WHERE p.unread_count < 0 OR p.unread_count > (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = p.conversation_id)`)
  ).map((r) => `participant ${r.user_id} of conversation ${r.conversation_id} has an impossible unread count`);

/** A claimed mail is either still being sent (claimed) or back in the queue; never half. */
export const mailQueueRowsWhole: Invariant = async (q) =>
  (
    await q<{ id: number }>(`SELECT id FROM mail_queue
     WHERE (state = 'sending' AND (claimed_by IS NULL OR claimed_until IS NULL))
        OR (state = 'queued' AND recipient = '')
        OR (state = 'failed' AND recipient <> '')`)
  ).map((r) => `mail ${r.id} is in an inconsistent state`);

/**
 * Each participant's unread count is exactly the messages the others wrote after they
 * last read the conversation (all of them when they never have).
 */
export const unreadCountersMatchMessages: Invariant = async (q) =>
  (
    await q<{
      conversation_id: number;
      user_id: number;
      unread_count: number;
      actual: number;
    }>(`SELECT p.conversation_id, p.user_id,
       p.unread_count, (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = p.conversation_id AND m.sender_id <> p.user_id
         AND (p.last_read_at IS NULL OR m.created_at > p.last_read_at)) AS actual
     FROM conversation_participants p`)
  )
    .filter((r) => Number(r.unread_count) !== Number(r.actual))
    .map(
      (r) => `participant ${r.user_id} of conversation ${r.conversation_id} counts ${r.unread_count} unread, holds ${r.actual}`,
    );

/** The stored match graph equals one recomputed from the listings (the same rules, in one SQL join). */
export const matchEdgesEqualRecomputation: Invariant = async (q) => {
  const alias = <T extends object>(sql: T, to: string): T =>
    Object.fromEntries(Object.entries(sql).map(([k, v]) => [k, String(v).replace(/\bl\./g, `${to}.`)])) as T;
  const fit = fitSql(alias(candidateFlat(), 'h'), alias(candidateWish(), 'w'));
  const expected = `SELECT w.id AS wanter_id, h.id AS home_id, ${fit} AS fit
    FROM listings w JOIN listing_wanted_districts wd ON wd.listing_id = w.id
    JOIN listings h ON h.district = wd.district
    WHERE w.status = 'active' AND h.status = 'active' AND h.id <> w.id
      AND (w.wanted_rooms_min IS NULL OR h.rooms >= w.wanted_rooms_min)
      AND (w.wanted_size_min IS NULL OR h.size_m2 >= w.wanted_size_min)
      AND (w.wanted_rent_max IS NULL OR h.rent_eur <= w.wanted_rent_max)
      AND (w.wanted_lift = FALSE OR h.has_lift = TRUE)
      AND (w.wanted_balcony = FALSE OR h.has_balcony = TRUE)
      AND (w.wanted_sauna = FALSE OR h.has_sauna = TRUE)`;
  const stored = 'SELECT wanter_id, home_id, fit FROM match_edges';
  const missing = await q<{ wanter_id: number; home_id: number }>(`SELECT * FROM (${expected} EXCEPT ${stored}) x`);
  const extra = await q<{ wanter_id: number; home_id: number }>(`SELECT * FROM (${stored} EXCEPT ${expected}) x`);
  return [
    ...missing.map((e) => `edge ${e.wanter_id} -> ${e.home_id} is missing or has a stale fit`),
    ...extra.map((e) => `edge ${e.wanter_id} -> ${e.home_id} should not be stored (or has a stale fit)`),
  ];
};

export const INVARIANTS: Record<string, Invariant> = {
  unreadCountersMatchMessages,
  matchEdgesEqualRecomputation,
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
