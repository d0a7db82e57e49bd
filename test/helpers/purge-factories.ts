import crypto from 'node:crypto';
import { Block } from '../../models/block';
import { Conversation } from '../../models/conversation';
import { ConversationParticipant } from '../../models/conversation-participant';
import { Favourite } from '../../models/favourite';
import type { Listing } from '../../models/listing';
import { Message } from '../../models/message';
import { Report, type ReportReason } from '../../models/report';
import { Session } from '../../models/session';
import { Token, type TokenPurpose } from '../../models/token';
import { User } from '../../models/user';
import { runPurge, type PurgeDeps } from '../../jobs/purge';
import { context, deliverQueuedMail } from './context';

// Rows for the purge, export and erasure tests, built directly with the models (the
// messages and moderation areas have their own services; these tests only need the rows).

const nowOf = () => context().clock.now();

/** A conversation about `listing` started by `starter` with the listing's owner. */
export async function createConversation(listing: Listing, starter: User, at: Date = nowOf()): Promise<Conversation> {
  const conversation = await Conversation.create({
    listingId: listing.id, startedById: starter.id, lastMessageAt: at, lastSenderId: null,
  });
  await ConversationParticipant.bulkCreate([
    { conversationId: conversation.id, userId: starter.id, lastMessageAt: at, lastReadAt: null, noticeSentAt: null },
    { conversationId: conversation.id, userId: listing.userId, lastMessageAt: at, lastReadAt: null, noticeSentAt: null },
  ]);
  return conversation;
}

/** A message from `sender`; every other participant's unread count goes up, as the messages service does. */
export async function createMessage(conversation: Conversation, sender: User, body: string, at: Date = nowOf()): Promise<Message> {
  const message = await Message.create({ conversationId: conversation.id, senderId: sender.id, body, createdAt: at });
  await conversation.update({ lastMessageAt: at, lastSenderId: sender.id });
  const others = await ConversationParticipant.findAll({ where: { conversationId: conversation.id } });
  for (const p of others) {
    if (p.userId === sender.id) await p.update({ lastMessageAt: at, lastReadAt: at });
    else await p.update({ lastMessageAt: at, unreadCount: p.unreadCount + 1 });
  }
  return message;
}

/** Marks the conversation read for `user` at `at` (unread count 0). */
export async function markRead(conversation: Conversation, user: User, at: Date = nowOf()): Promise<void> {
  await ConversationParticipant.update({ unreadCount: 0, lastReadAt: at }, { where: { conversationId: conversation.id, userId: user.id } });
}

export async function createFavourite(user: User, listing: Listing): Promise<Favourite> {
  return Favourite.create({ userId: user.id, listingId: listing.id });
}

export async function createBlock(blocker: User, blocked: User): Promise<Block> {
  return Block.create({ blockerId: blocker.id, blockedId: blocked.id });
}

export async function reportListing(reporter: User, listing: Listing, reason: ReportReason = 'fake', details = ''): Promise<Report> {
  return Report.create({
    kind: 'listing', reporterId: reporter.id, listingId: listing.id, conversationId: null, messageId: null, reason, details,
    handledById: null, handledAt: null, resolutionNote: null,
  });
}

export async function reportMessage(reporter: User, message: Message, reason: ReportReason = 'offensive', details = ''): Promise<Report> {
  return Report.create({
    kind: 'message', reporterId: reporter.id, listingId: null, conversationId: message.conversationId, messageId: message.id,
    reason, details, handledById: null, handledAt: null, resolutionNote: null,
  });
}

/** A pending e-mailed link; returns the raw value that would be in the e-mail. */
export async function createToken(user: User, purpose: TokenPurpose, ttlMs = 3600_000): Promise<{ token: Token; raw: string }> {
  const raw = crypto.randomBytes(32).toString('base64url');
  const token = await Token.create({
    userId: user.id, purpose, tokenHash: crypto.createHash('sha256').update(raw).digest('hex'),
    expiresAt: new Date(nowOf().getTime() + ttlMs), usedAt: null,
  });
  return { token, raw };
}

/** A stored session row of a signed-in user (as the session store writes it). */
export async function createSession(user: User, ttlMs = 30 * 60_000): Promise<Session> {
  const now = nowOf();
  return Session.create({
    sid: crypto.randomBytes(16).toString('hex'),
    expires: new Date(now.getTime() + ttlMs),
    data: JSON.stringify({ cookie: {}, passport: { user: user.id } }),
    userId: user.id,
    createdAt: now,
    updatedAt: now,
  });
}

/** Sets the user's last sign-in (and clears a sent warning, as signing in does). */
export async function setLastLogin(user: User, at: Date | string): Promise<User> {
  return user.update({ lastLoginAt: new Date(at), purgeWarningFor: null });
}

export async function userExists(id: number): Promise<boolean> {
  return (await User.count({ where: { id } })) === 1;
}

/** Runs the purge job as the scheduler and the CLI do, against the suite's database and mailbox. */
export async function purge(now: string | Date, extra: Partial<PurgeDeps> = {}) {
  const c = context();
  const result = await runPurge({ now: new Date(now), db: c.db, logger: c.deps.logger, config: c.config, ...extra });
  await deliverQueuedMail();
  return result;
}
