import { Block } from '../../models/block';
import { Conversation } from '../../models/conversation';
import { ConversationParticipant } from '../../models/conversation-participant';
import type { Listing } from '../../models/listing';
import { Message } from '../../models/message';
import type { User } from '../../models/user';
import { context } from './context';
import type { Agent } from './http';
import { csrfToken } from './http';

export interface MessageSpec {
  from: User;
  body: string;
  at?: Date;
}

/**
 * A conversation between `starter` and the owner of `listing`, with the given messages
 * (oldest first), built directly in the database with the unread counts a real
 * exchange would have left: each participant has not read what the other wrote.
 */
export async function createConversation(
  listing: Listing,
  starter: User,
  messages: MessageSpec[] = [{ from: starter, body: 'Hej! Är din lägenhet fortfarande ledig?' }],
): Promise<Conversation> {
  const now = context().clock.now();
  const last = messages[messages.length - 1];
  const lastAt = last?.at ?? now;
  const conversation = await Conversation.create({
    listingId: listing.id,
    startedById: starter.id,
    lastMessageAt: lastAt,
    lastSenderId: last ? last.from.id : null,
    createdAt: messages[0]?.at ?? now,
  });
  let i = 0;
  for (const m of messages) {
    // One millisecond apart keeps their order when no times are given.
    await Message.create({
      conversationId: conversation.id, senderId: m.from.id, body: m.body,
      createdAt: m.at ?? new Date(now.getTime() - (messages.length - i) * 1000),
    });
    i += 1;
  }
  const unreadFor = (user: User) => messages.filter((m) => m.from.id !== user.id).length;
  const ownerId = listing.userId;
  await ConversationParticipant.bulkCreate([
    { conversationId: conversation.id, userId: starter.id, unreadCount: unreadFor(starter), lastReadAt: null, lastMessageAt: lastAt, noticeSentAt: null },
    {
      conversationId: conversation.id, userId: ownerId,
      unreadCount: messages.filter((m) => m.from.id !== ownerId).length, lastReadAt: null, lastMessageAt: lastAt, noticeSentAt: null,
    },
  ]);
  return conversation;
}

export async function createBlock(blocker: User, blocked: User): Promise<void> {
  await Block.create({ blockerId: blocker.id, blockedId: blocked.id, createdAt: context().clock.now() });
}

/** Posts a form with a CSRF token taken once from a signed-in page (for loops of many posts). */
export async function postForm(a: Agent, path: string, fields: Record<string, string>, token?: string) {
  const csrf = token ?? (await csrfToken(a, '/messages'));
  return a.post(path).type('form').send({ ...fields, _csrf: csrf });
}
