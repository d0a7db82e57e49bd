import crypto from 'node:crypto';
import { Op, QueryTypes, UniqueConstraintError, type Transaction } from 'sequelize';
import { Block } from '../../models/block';
import { Conversation } from '../../models/conversation';
import { ConversationParticipant } from '../../models/conversation-participant';
import { Listing } from '../../models/listing';
import { Message } from '../../models/message';
import { Report, type ReportReason } from '../../models/report';
import { User } from '../../models/user';
import type { AppDeps } from '../context';
import { AppError, NotFound, TooManyRequests } from '../errors';
import { enqueueMail } from '../mail/queue';
import { renderMail } from '../mail/templates';
import type { ConversationAccess, ConversationRef } from '../types/domain';

export const MESSAGE_MAX_LENGTH = 5000;
export const REPORT_DETAILS_MAX_LENGTH = 2000;
export const INBOX_PAGE_SIZE = 20;
export const THREAD_PAGE_SIZE = 50;

export type { ConversationRef };

/** One inbox line, straight from the one query that builds an inbox page. */
export interface InboxRow {
  conversationId: number;
  lastMessageAt: Date | string;
  lastSenderId: number | null;
  unreadCount: number;
  otherId: number | null;
  otherUsername: string | null;
  listingId: number | null;
  listingDistrict: string | null;
  listingRooms: number | null;
  listingStatus: string | null;
  /** Set on the shared conversation of a three-way swap (then otherId is one of the two others). */
  swapKey: string | null;
}

export interface ThreadMessage {
  id: number;
  senderId: number;
  body: string;
  createdAt: Date;
}

/** Why a message could not be sent although the sender may see the conversation. */
export const CLOSED = 'conversation_closed'; // the other tenant blocked me, or left the board
export const YOU_BLOCKED = 'conversation_you_blocked'; // I blocked the other tenant

// The "turn off message notices" link in the notice e-mail. The signature is an HMAC of
// the user id and the link's expiry (with a purpose prefix, so it can never double as
// another signature made with the same secret); it only ever turns notices off, and
// only until it expires.
export const UNSUBSCRIBE_TTL_MS = 60 * 24 * 3600 * 1000;

export function unsubscribeSignature(secret: string, userId: number, expires: number): string {
  return crypto.createHmac('sha256', secret).update(`notify-messages-off:${userId}:${expires}`).digest('base64url');
}

/** The link's query: user id, expiry (seconds since 1970) and signature. */
export function unsubscribeQuery(secret: string, userId: number, now: Date): string {
  const expires = Math.floor((now.getTime() + UNSUBSCRIBE_TTL_MS) / 1000);
  return `u=${userId}&e=${expires}&sig=${unsubscribeSignature(secret, userId, expires)}`;
}

/** The user id of a genuine, unexpired unsubscribe link, or null (compared in constant time). */
export function checkUnsubscribe(secret: string, u: unknown, e: unknown, sig: unknown, now: Date): number | null {
  if (typeof u !== 'string' || !/^[1-9][0-9]{0,9}$/.test(u) || typeof sig !== 'string' || sig.length > 100) return null;
  if (typeof e !== 'string' || !/^[1-9][0-9]{0,11}$/.test(e) || Number(e) * 1000 <= now.getTime()) return null;
  const userId = Number(u);
  const expected = Buffer.from(unsubscribeSignature(secret, userId, Number(e)));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return null;
  return userId;
}

/**
 * Private messages between tenants (docs/product.md#messages). Every send is one transaction: the
 * message, the conversation's last message and both participants' rows, the recipient's
 * unread count raised in SQL, and the notice e-mail queued (server/mail/queue.ts). A
 * notice never holds the message text; the mail server's state never fails a send.
 */
export function createMessageService(deps: AppDeps) {
  const { db, clock, logger, config, rateLimits } = deps;

  const otherOf = (ref: ConversationAccess, userId: number) => ref.participantIds.find((id) => id !== userId) ?? null;
  // A three-way swap's conversation has two others; a pair's has one.
  const othersOf = (ref: ConversationAccess, userId: number) => ref.participantIds.filter((id) => id !== userId);

  /** Refuses a send when either tenant has blocked the other; only the blocker is told why. */
  async function assertNotBlocked(senderId: number, otherId: number): Promise<void> {
    const blocks = await Block.findAll({
      where: {
        [Op.or]: [
          { blockerId: senderId, blockedId: otherId },
          { blockerId: otherId, blockedId: senderId },
        ],
      },
      attributes: ['blockerId'],
    });
    if (blocks.some((b) => b.blockerId === senderId)) throw new AppError(403, YOU_BLOCKED);
    if (blocks.length > 0) throw new AppError(403, CLOSED);
  }

  /** Rate limits are counted outside any transaction (SQLite: their own connection). */
  async function consumeLimits(senderId: number, newConversation: boolean): Promise<void> {
    const key = `user:${senderId}`;
    const waitMessage = await rateLimits.get('message').isBlocked(key);
    if (waitMessage) throw TooManyRequests(waitMessage, 'rate_limited.message');
    if (newConversation) await rateLimits.get('newConversation').consume(key);
    await rateLimits.get('message').consume(key);
  }

  async function append(conversationId: number, senderId: number, body: string, now: Date, transaction: Transaction) {
    await Message.create({ conversationId, senderId, body, createdAt: now }, { transaction });
    await Conversation.update({ lastMessageAt: now, lastSenderId: senderId }, { where: { id: conversationId }, transaction });
    // Both rows move up in their owner's inbox; only the recipient's unread count grows.
    await ConversationParticipant.update(
      {
        lastMessageAt: now,
        unreadCount: db.sequelize.literal(`CASE WHEN user_id = ${Number(senderId)} THEN unread_count ELSE unread_count + 1 END`),
      },
      { where: { conversationId }, transaction },
    );
  }

  /** At most one notice per conversation until the recipient has read it (notice_sent_at). */
  async function queueNotice(conversationId: number, recipientId: number, transaction: Transaction): Promise<void> {
    const recipient = await User.findByPk(recipientId, { transaction });
    if (!recipient || !recipient.notifyMessages || !recipient.emailsEnabled) return;
    if (!recipient.isVerified || recipient.isSuspended) return;
    const [claimed] = await ConversationParticipant.update(
      { noticeSentAt: clock() },
      { where: { conversationId, userId: recipientId, noticeSentAt: null }, transaction },
    );
    if (claimed === 0) return;
    const unsubscribeLink = `${config.baseUrl}/notifications/unsubscribe?${unsubscribeQuery(config.sessionSecret, recipient.id, clock())}`;
    const mail = await renderMail(
      'new-message',
      recipient.email,
      recipient.locale,
      {
        username: recipient.username,
        link: `${config.baseUrl}/messages/${conversationId}`,
        unsubscribeLink,
      },
      config.org.name,
      { subjectKey: 'messages:email.subject' },
    );
    // RFC 8058 one-click unsubscribe: mail programs offer a button that POSTs to the link.
    await enqueueMail(
      { ...mail, headers: { 'List-Unsubscribe': `<${unsubscribeLink}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } },
      { userId: recipient.id, purpose: 'new-message', now: clock(), transaction },
    );
    logger.info({ userId: recipient.id, mail: 'new-message' }, 'mail queued');
  }

  async function send(conversationId: number, sender: User, recipientIds: number[], body: string): Promise<void> {
    const now = clock();
    await db.sequelize.transaction(async (transaction) => {
      await append(conversationId, sender.id, body, now, transaction);
      for (const recipientId of recipientIds) await queueNotice(conversationId, recipientId, transaction);
    });
    logger.info({ userId: sender.id, conversationId }, 'message sent');
  }

  return {
    /** The listing a tenant wants to write about, as stored (its state is checked by the caller's policy). */
    async findListing(id: number): Promise<Listing | null> {
      return Listing.findByPk(id);
    },

    /** The conversation with its current participants, or null when there is none. */
    async find(id: number): Promise<ConversationRef | null> {
      if (!Number.isSafeInteger(id) || id <= 0) return null;
      const conversation = await Conversation.findByPk(id, {
        include: [{ model: ConversationParticipant, as: 'participants', attributes: ['userId'] }],
      });
      if (!conversation) return null;
      return {
        id: conversation.id,
        listingId: conversation.listingId,
        startedById: conversation.startedById,
        lastSenderId: conversation.lastSenderId,
        lastMessageAt: conversation.lastMessageAt,
        participantIds: (conversation.participants ?? []).map((p) => p.userId),
      };
    },

    /**
     * Writes to a listing's owner: reuses the one conversation of (listing, sender) or
     * opens it. Two simultaneous first messages meet at the unique index; the loser
     * retries once and finds the winner's conversation.
     */
    /** The conversation this tenant started about this listing, if any (the listing page links to it). */
    async conversationAbout(user: User, listingId: number): Promise<number | null> {
      const row = await Conversation.findOne({ where: { listingId, startedById: user.id }, attributes: ['id'] });
      if (!row) return null;
      // Only while the tenant is still in it (a conversation they left is not theirs to open).
      const mine = await ConversationParticipant.count({ where: { conversationId: row.id, userId: user.id } });
      return mine > 0 ? row.id : null;
    },

    async startOrReuse(sender: User, listing: Listing, body: string): Promise<{ conversationId: number; created: boolean }> {
      // Whether this tenant may write about this listing at all is the policy's answer
      // (message.start in server/policies/message.ts), asked by the handler.
      const ownerId = listing.userId;
      await assertNotBlocked(sender.id, ownerId);
      const existing = await Conversation.findOne({
        where: { listingId: listing.id, startedById: sender.id },
        attributes: ['id'],
      });
      await consumeLimits(sender.id, !existing);
      const now = clock();
      const attempt = () =>
        db.sequelize.transaction(async (transaction) => {
          let conversation = await Conversation.findOne({
            where: { listingId: listing.id, startedById: sender.id },
            attributes: ['id'],
            transaction,
          });
          let created = false;
          if (!conversation) {
            conversation = await Conversation.create(
              { listingId: listing.id, startedById: sender.id, lastMessageAt: now, lastSenderId: sender.id },
              { transaction },
            );
            await ConversationParticipant.bulkCreate(
              [
                { conversationId: conversation.id, userId: sender.id, lastMessageAt: now, lastReadAt: now, noticeSentAt: null },
                { conversationId: conversation.id, userId: ownerId, lastMessageAt: now, lastReadAt: null, noticeSentAt: null },
              ],
              { transaction },
            );
            created = true;
          }
          await append(conversation.id, sender.id, body, now, transaction);
          await queueNotice(conversation.id, ownerId, transaction);
          return { conversationId: conversation.id, created };
        });
      let result: { conversationId: number; created: boolean };
      try {
        result = await attempt();
      } catch (err) {
        if (!(err instanceof UniqueConstraintError)) throw err;
        result = await attempt();
      }
      logger.info({ userId: sender.id, conversationId: result.conversationId, created: result.created }, 'message sent');
      return result;
    },

    /** A reply in an existing conversation; the caller has checked that the sender takes part. */
    async reply(sender: User, ref: ConversationRef, body: string): Promise<void> {
      const otherIds = othersOf(ref, sender.id);
      if (otherIds.length === 0) throw new AppError(403, CLOSED);
      // In a three-way conversation a block between the sender and either other closes it.
      for (const otherId of otherIds) await assertNotBlocked(sender.id, otherId);
      await consumeLimits(sender.id, false);
      await send(ref.id, sender, otherIds, body);
    },

    /** One page of the inbox, newest first, in one indexed query; one extra row tells if there is a next page. */
    async inbox(user: User, page: number): Promise<{ rows: InboxRow[]; hasNext: boolean }> {
      const rows = await db.sequelize.query<InboxRow>(
        `SELECT c.id AS "conversationId", c.last_message_at AS "lastMessageAt", c.last_sender_id AS "lastSenderId",
                me.unread_count AS "unreadCount", other.user_id AS "otherId", u.username AS "otherUsername",
                c.listing_id AS "listingId", l.district AS "listingDistrict", l.rooms AS "listingRooms",
                l.status AS "listingStatus", c.swap_key AS "swapKey"
           FROM conversation_participants me
           JOIN conversations c ON c.id = me.conversation_id
           LEFT JOIN conversation_participants other
                  ON other.conversation_id = me.conversation_id AND other.user_id = (
                    SELECT MIN(o.user_id) FROM conversation_participants o
                     WHERE o.conversation_id = me.conversation_id AND o.user_id <> me.user_id)
           LEFT JOIN users u ON u.id = other.user_id
           LEFT JOIN listings l ON l.id = c.listing_id
          WHERE me.user_id = :userId
          ORDER BY me.last_message_at DESC, me.conversation_id DESC
          LIMIT :limit OFFSET :offset`,
        {
          type: QueryTypes.SELECT,
          replacements: { userId: user.id, limit: INBOX_PAGE_SIZE + 1, offset: (page - 1) * INBOX_PAGE_SIZE },
        },
      );
      return { rows: rows.slice(0, INBOX_PAGE_SIZE), hasNext: rows.length > INBOX_PAGE_SIZE };
    },

    /** The latest messages (or those before `beforeId`), oldest first, and what the thread page shows around them. */
    async thread(user: User, ref: ConversationRef, beforeId?: number) {
      const rows = await Message.findAll({
        where: { conversationId: ref.id, ...(beforeId ? { id: { [Op.lt]: beforeId } } : {}) },
        attributes: ['id', 'senderId', 'body', 'createdAt'],
        order: [['id', 'DESC']],
        limit: THREAD_PAGE_SIZE + 1,
      });
      const messages: ThreadMessage[] = rows
        .slice(0, THREAD_PAGE_SIZE)
        .reverse()
        .map((m) => ({ id: m.id, senderId: m.senderId, body: m.body, createdAt: m.createdAt }));
      const otherId = otherOf(ref, user.id);
      const [other, listing, blocks, reported] = await Promise.all([
        otherId
          ? User.findByPk(otherId, {
              attributes: ['id', 'username', 'notifyMessages', 'emailsEnabled', 'emailVerifiedAt', 'suspendedAt'],
            })
          : null,
        ref.listingId ? Listing.findByPk(ref.listingId, { attributes: ['id', 'status', 'district', 'rooms', 'userId'] }) : null,
        otherId
          ? Block.findAll({
              where: {
                [Op.or]: [
                  { blockerId: user.id, blockedId: otherId },
                  { blockerId: otherId, blockedId: user.id },
                ],
              },
              attributes: ['blockerId'],
            })
          : [],
        messages.length
          ? Report.findAll({
              where: { kind: 'message', reporterId: user.id, messageId: messages.map((m) => m.id) },
              attributes: ['messageId'],
            })
          : [],
      ]);
      return {
        messages,
        hasOlder: rows.length > THREAD_PAGE_SIZE,
        // Whether a new message here reaches the other tenant by e-mail (the same test as
        // sendNotice), so the writer knows if an answer may take a while.
        other: other
          ? {
              id: other.id,
              username: other.username,
              getsNotices: other.notifyMessages && other.emailsEnabled && other.isVerified && !other.isSuspended,
            }
          : null,
        listing,
        iBlocked: blocks.some((b) => b.blockerId === user.id),
        reportedIds: new Set(reported.map((r) => r.messageId)),
      };
    },

    /**
     * Opening a thread reads it: no unread messages, and a new notice may be sent later.
     * Returns how many were unread. Writes only when something was unread (or a notice
     * is outstanding): looking at a read thread again is a read, not a write.
     */
    async markRead(userId: number, conversationId: number): Promise<number> {
      const row = await ConversationParticipant.findOne({
        where: { conversationId, userId },
        attributes: ['unreadCount', 'noticeSentAt'],
      });
      if (!row) return 0;
      if (row.unreadCount === 0 && row.noticeSentAt === null) return 0;
      await ConversationParticipant.update(
        { unreadCount: 0, lastReadAt: clock(), noticeSentAt: null },
        { where: { conversationId, userId } },
      );
      return row.unreadCount;
    },

    /**
     * Blocks the other participant (in a three-way conversation the one named by
     * `targetId`, which must take part in it); doing it twice changes nothing.
     */
    async block(user: User, ref: ConversationRef, targetId?: number): Promise<void> {
      const otherId = targetId === undefined ? otherOf(ref, user.id) : othersOf(ref, user.id).find((id) => id === targetId);
      if (!otherId) return;
      try {
        await Block.create({ blockerId: user.id, blockedId: otherId, createdAt: clock() });
        logger.info({ userId: user.id, blockedId: otherId }, 'tenant blocked');
      } catch (err) {
        if (!(err instanceof UniqueConstraintError)) throw err;
      }
    },

    async unblock(user: User, blockedId: number): Promise<void> {
      const removed = await Block.destroy({ where: { blockerId: user.id, blockedId } });
      if (removed > 0) logger.info({ userId: user.id, blockedId }, 'tenant unblocked');
    },

    /** The tenants this user has blocked, for /account. */
    async blockedBy(user: User): Promise<{ id: number; username: string }[]> {
      return db.sequelize.query<{ id: number; username: string }>(
        `SELECT u.id AS "id", u.username AS "username"
           FROM blocks b JOIN users u ON u.id = b.blocked_id
          WHERE b.blocker_id = :userId
          ORDER BY u.username_lower`,
        { type: QueryTypes.SELECT, replacements: { userId: user.id } },
      );
    },

    /** Throws "not found" unless the message is the other participant's, in this conversation. */
    async findReportable(user: User, ref: ConversationRef, messageId: number): Promise<void> {
      const message = Number.isSafeInteger(messageId)
        ? await Message.findOne({
            where: { id: messageId, conversationId: ref.id, senderId: { [Op.ne]: user.id } },
            attributes: ['id'],
          })
        : null;
      if (!message) throw NotFound();
    },

    /**
     * Reports a message the other participant wrote, once per reporter. A message id
     * from another conversation, or one of my own messages, is "not found".
     */
    async report(
      user: User,
      ref: ConversationRef,
      messageId: number,
      reason: ReportReason,
      details: string,
    ): Promise<{ alreadyReported: boolean }> {
      await this.findReportable(user, ref, messageId);
      const where = { kind: 'message' as const, reporterId: user.id, messageId };
      if (await Report.count({ where })) return { alreadyReported: true };
      await rateLimits.get('report').consume(`user:${user.id}`);
      try {
        const report = await Report.create({
          ...where,
          listingId: null,
          conversationId: ref.id,
          reason,
          details,
          handledById: null,
          handledAt: null,
          resolutionNote: null,
        });
        logger.info({ userId: user.id, reportId: report.id }, 'message reported');
      } catch (err) {
        if (err instanceof UniqueConstraintError) return { alreadyReported: true };
        throw err;
      }
      return { alreadyReported: false };
    },

    /** The header's count: one indexed sum over the tenant's participant rows. */
    async unreadTotal(userId: number): Promise<number> {
      const [row] = await db.sequelize.query<{ total: number | string | null }>(
        'SELECT COALESCE(SUM(unread_count), 0) AS total FROM conversation_participants WHERE user_id = :userId',
        { type: QueryTypes.SELECT, replacements: { userId } },
      );
      return Number(row?.total ?? 0);
    },

    /** The e-mail's one-click link: message notices off. */
    async unsubscribe(userId: number): Promise<void> {
      const [changed] = await User.update({ notifyMessages: false }, { where: { id: userId } });
      if (changed > 0) logger.info({ userId }, 'message notices turned off');
    },
  };
}

export type MessageService = ReturnType<typeof createMessageService>;
