import { QueryTypes, UniqueConstraintError, type Transaction } from 'sequelize';
import { Conversation } from '../../models/conversation';
import { ConversationParticipant } from '../../models/conversation-participant';
import { LISTING_STATUS, Listing } from '../../models/listing';
import { User } from '../../models/user';
import type { AppDeps } from '../context';
import { AppError, NotFound } from '../errors';
import type { ListingService } from './listings';
import { findRing } from './rings';

// Swaps that happen: interest marks on suggestions (a mutual pair or a three-way swap),
// the shared conversation of a three-way swap once all three said yes, and closing a
// swap from its conversation ("We have agreed to swap", the summary for the landlord,
// "We have swapped").
//
// A suggestion is named by its listings: 'p:<smaller id>-<larger id>' for a pair,
// 'r:<a>-<b>-<c>' for a ring in match_rings order. A tenant marks only suggestions their
// own active listing takes part in, and only while the suggestion exists; anything else
// is "not found". Marks are private: others see only how many of the parties said yes.

/** A tenant keeps at most this many marks (a board has far fewer suggestions per listing to look at). */
export const MARKS_MAX = 500;
export const TOO_MANY_MARKS = 'swaps:errors.too_many_marks';
export const NOT_AGREED = 'swaps:errors.not_agreed';

export type Suggestion =
  { kind: 'pair'; key: string; ids: [number, number] } | { kind: 'ring'; key: string; ids: [number, number, number] };

const ID = /^[1-9][0-9]{0,9}$/;

export function pairKey(x: number, y: number): string {
  return x < y ? `p:${x}-${y}` : `p:${y}-${x}`;
}
export function ringKey(ids: readonly [number, number, number]): string {
  return `r:${ids[0]}-${ids[1]}-${ids[2]}`;
}

/** Reads a suggestion key from a form; null for anything malformed or not in canonical order. */
export function parseSuggestion(value: unknown): Suggestion | null {
  if (typeof value !== 'string' || value.length > 40) return null;
  const m = /^([pr]):(.+)$/.exec(value);
  if (!m) return null;
  const parts = m[2]!.split('-');
  if (!parts.every((p) => ID.test(p))) return null;
  const ids = parts.map(Number);
  if (m[1] === 'p') {
    if (ids.length !== 2 || !(ids[0]! < ids[1]!)) return null;
    return { kind: 'pair', key: value, ids: [ids[0]!, ids[1]!] };
  }
  if (ids.length !== 3 || !(ids[0]! < ids[1]! && ids[0]! < ids[2]!) || ids[1] === ids[2]) return null;
  return { kind: 'ring', key: value, ids: [ids[0]!, ids[1]!, ids[2]!] };
}

export interface SwapState {
  kind: 'pair' | 'ring';
  participants: { id: number; username: string; agreed: boolean; swapped: boolean; me: boolean }[];
  iAgreed: boolean;
  iSwapped: boolean;
  allAgreed: boolean;
  agreedAt: Date | null;
  completedAt: Date | null;
}

export interface SummaryHome {
  username: string;
  district: string;
  postalCode: string;
  rooms: number;
  sizeM2: number;
  rentEur: number;
  floor: number | null;
  me: boolean;
}

export function createSwapService(deps: AppDeps, listings: ListingService) {
  const { db, clock, logger } = deps;
  const sequelize = db.sequelize;

  async function pairExists(a: number, b: number, transaction?: Transaction): Promise<boolean> {
    const [row] = await sequelize.query<{ n: number | string }>(
      `SELECT COUNT(*) AS n FROM match_edges WHERE (wanter_id = :a AND home_id = :b) OR (wanter_id = :b AND home_id = :a)`,
      { type: QueryTypes.SELECT, replacements: { a, b }, transaction },
    );
    return Number(row?.n ?? 0) === 2;
  }

  /** The suggestion, if it exists now and `listingId` (active) takes part in it. */
  async function existing(s: Suggestion, listingId: number, transaction?: Transaction): Promise<boolean> {
    if (!(s.ids as number[]).includes(listingId)) return false;
    if (s.kind === 'pair') return pairExists(s.ids[0], s.ids[1], transaction);
    return (await findRing(s.ids[0], s.ids[1], s.ids[2], transaction)) !== null;
  }

  async function activeListingOf(userId: number, transaction?: Transaction): Promise<Listing | null> {
    const mine = await Listing.findOne({ where: { userId }, attributes: ['id', 'status', 'userId'], transaction });
    return mine && mine.status === LISTING_STATUS.ACTIVE ? mine : null;
  }

  async function yesCount(key: string, transaction?: Transaction): Promise<number> {
    const [row] = await sequelize.query<{ n: number | string }>(
      'SELECT COUNT(*) AS n FROM swap_marks WHERE suggestion = :key AND interested = :yes',
      { type: QueryTypes.SELECT, replacements: { key, yes: true }, transaction },
    );
    return Number(row?.n ?? 0);
  }

  /** Opens the three tenants' one conversation about a ring (once; a second call finds it). */
  async function openRingConversation(s: Suggestion & { kind: 'ring' }, transaction: Transaction): Promise<number> {
    const found = await Conversation.findOne({ where: { swapKey: s.key }, attributes: ['id'], transaction });
    if (found) return found.id;
    const owners = await Listing.findAll({ where: { id: s.ids }, attributes: ['id', 'userId'], transaction });
    const now = clock();
    const conversation = await Conversation.create(
      { listingId: null, startedById: null, lastMessageAt: now, lastSenderId: null, swapKey: s.key },
      { transaction },
    );
    await ConversationParticipant.bulkCreate(
      owners.map((o) => ({
        conversationId: conversation.id,
        userId: o.userId,
        lastMessageAt: now,
        lastReadAt: null,
        noticeSentAt: null,
      })),
      { transaction },
    );
    logger.info({ conversationId: conversation.id }, 'three-way swap conversation opened');
    return conversation.id;
  }

  async function participantRows(conversationId: number, transaction?: Transaction) {
    return ConversationParticipant.findAll({ where: { conversationId }, transaction });
  }

  return {
    /**
     * Marks a suggestion Interested (true) or Not interested (false) for the tenant's own
     * listing. When the last party of a ring says yes, the ring's conversation opens;
     * its id is returned (also when it was already open and this tenant is in it).
     */
    async mark(user: User, s: Suggestion, interested: boolean): Promise<{ conversationId: number | null }> {
      const mine = await activeListingOf(user.id);
      if (!mine || !(await existing(s, mine.id))) throw NotFound();
      const now = clock();
      const attempt = () =>
        sequelize.transaction(async (transaction) => {
          const [row] = await sequelize.query<{ id: number }>(
            'SELECT id FROM swap_marks WHERE user_id = :userId AND suggestion = :key',
            { type: QueryTypes.SELECT, replacements: { userId: user.id, key: s.key }, transaction },
          );
          if (row) {
            await sequelize.query('UPDATE swap_marks SET interested = :interested, updated_at = :now WHERE id = :id', {
              replacements: { interested, now, id: row.id },
              transaction,
            });
          } else {
            const [count] = await sequelize.query<{ n: number | string }>(
              'SELECT COUNT(*) AS n FROM swap_marks WHERE user_id = :userId',
              { type: QueryTypes.SELECT, replacements: { userId: user.id }, transaction },
            );
            if (Number(count?.n ?? 0) >= MARKS_MAX) throw new AppError(422, TOO_MANY_MARKS);
            const [a, b, c] = [s.ids[0], s.ids[1], s.kind === 'ring' ? s.ids[2] : null];
            await sequelize.query(
              `INSERT INTO swap_marks (user_id, suggestion, listing_a, listing_b, listing_c, interested, created_at, updated_at)
             VALUES (:userId, :key, :a, :b, :c, :interested, :now, :now)`,
              { replacements: { userId: user.id, key: s.key, a, b, c, interested, now }, transaction },
            );
          }
          if (s.kind !== 'ring' || !interested) return { conversationId: null };
          if ((await yesCount(s.key, transaction)) < 3) return { conversationId: null };
          return { conversationId: await openRingConversation(s, transaction) };
        });
      let result: { conversationId: number | null };
      try {
        result = await attempt();
      } catch (err) {
        // Two marks at once meet at a unique index (the mark, or the ring's conversation).
        if (!(err instanceof UniqueConstraintError)) throw err;
        result = await attempt();
      }
      logger.info({ userId: user.id, interested }, 'suggestion marked');
      return result;
    },

    /** Takes back the tenant's mark (undo on "Hidden suggestions"); not found when there is none. */
    async unmark(user: User, s: Suggestion): Promise<void> {
      const replacements = { userId: user.id, key: s.key };
      const found = await sequelize.query('SELECT id FROM swap_marks WHERE user_id = :userId AND suggestion = :key', {
        type: QueryTypes.SELECT,
        replacements,
      });
      if (found.length === 0) throw NotFound();
      await sequelize.query('DELETE FROM swap_marks WHERE user_id = :userId AND suggestion = :key', { replacements });
      logger.info({ userId: user.id }, 'suggestion mark taken back');
    },

    /** Per suggestion: how many parties said yes (never who, never the no's) and my own mark — one query. */
    async marksFor(userId: number, keys: string[]): Promise<Map<string, { yes: number; mine: boolean | null }>> {
      if (keys.length === 0) return new Map();
      const rows = await sequelize.query<{ suggestion: string; yes: number | string; mine: number | string | null }>(
        `SELECT suggestion, SUM(CASE WHEN interested = :yes THEN 1 ELSE 0 END) AS yes,
                MAX(CASE WHEN user_id = :userId THEN (CASE WHEN interested = :yes THEN 1 ELSE 0 END) END) AS mine
           FROM swap_marks WHERE suggestion IN (:keys) GROUP BY suggestion`,
        { type: QueryTypes.SELECT, replacements: { keys, yes: true, userId } },
      );
      return new Map(
        rows.map((r) => [r.suggestion, { yes: Number(r.yes), mine: r.mine === null ? null : Number(r.mine) === 1 }]),
      );
    },

    /** How many parties said yes, per suggestion. */
    async yesCounts(keys: string[]): Promise<Map<string, number>> {
      const marks = await this.marksFor(0, keys);
      return new Map([...marks].map(([k, m]) => [k, m.yes]));
    },

    /** The ring conversations among these suggestions that this tenant takes part in. */
    async ringConversations(userId: number, keys: string[]): Promise<Map<string, number>> {
      const ringKeys = keys.filter((k) => k.startsWith('r:'));
      if (ringKeys.length === 0) return new Map();
      const rows = await sequelize.query<{ id: number; swap_key: string }>(
        `SELECT c.id, c.swap_key FROM conversations c
          JOIN conversation_participants p ON p.conversation_id = c.id AND p.user_id = :userId
         WHERE c.swap_key IN (:ringKeys)`,
        { type: QueryTypes.SELECT, replacements: { userId, ringKeys } },
      );
      return new Map(rows.map((r) => [r.swap_key, Number(r.id)]));
    },

    /** The tenant's hidden ("not interested") suggestions, newest first, with the other listings' ids. */
    async hidden(userId: number): Promise<{ key: string; kind: 'pair' | 'ring'; listingIds: number[] }[]> {
      const rows = await sequelize.query<{ suggestion: string }>(
        `SELECT suggestion FROM swap_marks WHERE user_id = :userId AND interested = :no ORDER BY updated_at DESC, id DESC LIMIT :max`,
        { type: QueryTypes.SELECT, replacements: { userId, no: false, max: MARKS_MAX } },
      );
      return rows
        .map((r) => parseSuggestion(r.suggestion))
        .filter((s): s is Suggestion => s !== null)
        .map((s) => ({ key: s.key, kind: s.kind, listingIds: [...s.ids] }));
    },

    /** The swap state of a conversation, for its page. */
    async state(userId: number, conversationId: number): Promise<SwapState | null> {
      // One query: the participants with their steps and names, and the conversation's.
      const rows = await sequelize.query<{
        user_id: number;
        agreed_at: unknown;
        swapped_at: unknown;
        username: string | null;
        swap_key: string | null;
        swap_agreed_at: Date | string | null;
        swap_completed_at: Date | string | null;
      }>(
        `SELECT p.user_id, p.agreed_at, p.swapped_at, u.username, c.swap_key, c.swap_agreed_at, c.swap_completed_at
           FROM conversation_participants p
           JOIN conversations c ON c.id = p.conversation_id
           LEFT JOIN users u ON u.id = p.user_id
          WHERE p.conversation_id = :conversationId`,
        { type: QueryTypes.SELECT, replacements: { conversationId } },
      );
      if (!rows.some((r) => Number(r.user_id) === userId)) return null;
      const participants = rows
        .map((r) => ({
          id: Number(r.user_id),
          username: r.username ?? '',
          agreed: r.agreed_at !== null,
          swapped: r.swapped_at !== null,
          me: Number(r.user_id) === userId,
        }))
        .sort((p, q) => (p.me === q.me ? p.username.localeCompare(q.username) : p.me ? -1 : 1));
      const me = participants.find((p) => p.me)!;
      const first = rows[0]!;
      const date = (v: Date | string | null) => (v === null ? null : new Date(v));
      return {
        kind: first.swap_key ? 'ring' : 'pair',
        participants,
        iAgreed: me.agreed,
        iSwapped: me.swapped,
        allAgreed: participants.length >= 2 && participants.every((p) => p.agreed),
        agreedAt: date(first.swap_agreed_at),
        completedAt: date(first.swap_completed_at),
      };
    },

    /**
     * "We have agreed to swap". When every participant (at least two) has said it, the
     * swap counts as agreed (once) and the summary opens.
     */
    async agree(user: User, conversationId: number): Promise<void> {
      await sequelize.transaction(async (transaction) => {
        const now = clock();
        await ConversationParticipant.update(
          { agreedAt: now },
          { where: { conversationId, userId: user.id, agreedAt: null }, transaction },
        );
        const rows = await participantRows(conversationId, transaction);
        if (rows.length < 2 || rows.some((r) => !r.agreedAt)) return;
        const [changed] = await Conversation.update(
          { swapAgreedAt: now },
          { where: { id: conversationId, swapAgreedAt: null }, transaction },
        );
        if (changed > 0) {
          await sequelize.query('INSERT INTO swap_events (kind, parties, created_at) VALUES (:kind, :n, :now)', {
            replacements: { kind: 'agreed', n: rows.length, now },
            transaction,
          });
        }
      });
      logger.info({ userId: user.id, conversationId }, 'swap agreed');
    },

    /** Takes back "We have agreed" while the swap is not yet agreed by all. */
    async disagree(user: User, conversationId: number): Promise<void> {
      const conversation = await Conversation.findByPk(conversationId, { attributes: ['id', 'swapAgreedAt'] });
      if (!conversation || conversation.swapAgreedAt) throw new AppError(409, NOT_AGREED);
      await ConversationParticipant.update({ agreedAt: null }, { where: { conversationId, userId: user.id } });
    },

    /**
     * The summary for the landlord's swap application: each participant's home as it is
     * on the board and their username. Only when all have agreed.
     */
    async summary(userId: number, conversationId: number): Promise<{ homes: SummaryHome[]; agreedAt: Date } | null> {
      const conversation = await Conversation.findByPk(conversationId, { attributes: ['id', 'swapAgreedAt'] });
      if (!conversation?.swapAgreedAt) return null;
      const rows = await participantRows(conversationId);
      const ids = rows.map((r) => r.userId);
      const [users, homes] = await Promise.all([
        User.findAll({ where: { id: ids }, attributes: ['id', 'username'] }),
        Listing.findAll({ where: { userId: ids } }),
      ]);
      const nameOf = new Map(users.map((u) => [u.id, u.username]));
      return {
        agreedAt: conversation.swapAgreedAt,
        homes: homes
          .map((l) => ({
            username: nameOf.get(l.userId) ?? '',
            district: l.district,
            postalCode: l.postalCode,
            rooms: l.rooms,
            sizeM2: l.sizeM2,
            rentEur: l.rentEur,
            floor: l.floor,
            me: l.userId === userId,
          }))
          .sort((p, q) => (p.me === q.me ? p.username.localeCompare(q.username) : p.me ? -1 : 1)),
      };
    },

    /**
     * "We have swapped": the tenant's listing leaves search, matches, three-way swaps and
     * alerts (it is paused, with its edges and rings gone), and the swap counts as
     * completed the first time one of its tenants says so.
     */
    async swapped(user: User, conversationId: number): Promise<void> {
      const conversation = await Conversation.findByPk(conversationId, { attributes: ['id', 'swapAgreedAt'] });
      if (!conversation?.swapAgreedAt) throw new AppError(409, NOT_AGREED);
      const mine = await Listing.findOne({ where: { userId: user.id } });
      if (mine && mine.status === LISTING_STATUS.ACTIVE) await listings.pause(mine);
      await sequelize.transaction(async (transaction) => {
        const now = clock();
        await ConversationParticipant.update(
          { swappedAt: now },
          { where: { conversationId, userId: user.id, swappedAt: null }, transaction },
        );
        const [changed] = await Conversation.update(
          { swapCompletedAt: now },
          { where: { id: conversationId, swapCompletedAt: null }, transaction },
        );
        if (changed > 0) {
          const parties = await ConversationParticipant.count({ where: { conversationId }, transaction });
          await sequelize.query('INSERT INTO swap_events (kind, parties, created_at) VALUES (:kind, :n, :now)', {
            replacements: { kind: 'completed', n: parties, now },
            transaction,
          });
        }
      });
      logger.info({ userId: user.id, conversationId }, 'swap completed');
    },

    /** Agreed and completed swaps per month (UTC), newest first: counts only. */
    async monthlyCounts(months = 12): Promise<{ month: string; agreed: number; completed: number }[]> {
      const now = clock();
      const since = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - (months - 1), 1));
      const rows = await sequelize.query<{ kind: string; created_at: Date | string }>(
        'SELECT kind, created_at FROM swap_events WHERE created_at >= :since',
        { type: QueryTypes.SELECT, replacements: { since } },
      );
      const byMonth = new Map<string, { agreed: number; completed: number }>();
      for (const r of rows) {
        const month = new Date(r.created_at).toISOString().slice(0, 7);
        const m = byMonth.get(month) ?? { agreed: 0, completed: 0 };
        if (r.kind === 'agreed') m.agreed += 1;
        else if (r.kind === 'completed') m.completed += 1;
        byMonth.set(month, m);
      }
      return [...byMonth.entries()].sort((p, q) => q[0].localeCompare(p[0])).map(([month, c]) => ({ month, ...c }));
    },
  };
}

export type SwapService = ReturnType<typeof createSwapService>;
