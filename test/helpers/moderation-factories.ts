import { expect } from 'chai';
import { Conversation } from '../../models/conversation';
import { ConversationParticipant } from '../../models/conversation-participant';
import type { Listing } from '../../models/listing';
import { Message } from '../../models/message';
import { Report, type ReportReason } from '../../models/report';
import { User } from '../../models/user';
import { newTotpSecret, totpCodeAt } from '../../server/services/totp';
import { context } from './context';
import { createUser, DEFAULT_PASSWORD, type UserOptions } from './factories';
import { agent, csrfFrom, submit, type Agent } from './http';

/** A moderator with a TOTP secret (already confirmed unless `confirmed: false`). */
export async function createModerator(opts: UserOptions & { confirmed?: boolean } = {}): Promise<User> {
  const user = await createUser({ ...opts, role: 'admin', totpSecret: opts.totpSecret === undefined ? newTotpSecret() : opts.totpSecret });
  if (opts.confirmed !== false && user.totpSecret) await user.update({ totpConfirmedAt: context().clock.now() });
  return user;
}

/** The code the moderator's authenticator app shows right now (by the test clock). */
export function currentCode(user: User, offsetMs = 0): Promise<string> {
  return totpCodeAt(user.totpSecret!, new Date(context().clock.now().getTime() + offsetMs));
}

/** Password step only: returns the agent, waiting at /login/totp. */
export async function passwordStep(user: User, a: Agent = agent(), next?: string): Promise<Agent> {
  const res = await submit(a, '/login', { username: user.username, password: DEFAULT_PASSWORD, ...(next ? { next } : {}) });
  expect(res.status, 'password step').to.equal(303);
  expect(res.headers.location).to.match(/^\/login\/totp/);
  return a;
}

/**
 * Sends a code on the TOTP form with the session's CSRF token, taken from /login (or,
 * for a signed-in session, where /login redirects, from the code form itself).
 */
export async function sendCode(a: Agent, code: string, next = '/') {
  let page = await a.get('/login');
  if (page.status !== 200) page = await a.get('/login/totp');
  return a.post('/login/totp').type('form').send({ totp: code, next, _csrf: csrfFrom(page.text) });
}

/**
 * Signs a moderator in through both steps. Each code is single-use, so for a second
 * sign-in in the same 30 seconds the helper forgets the last step used (a shortcut for
 * tests only; the reuse rule has its own tests).
 */
export async function signInModerator(user: User, a: Agent = agent()): Promise<Agent> {
  await User.update({ totpLastStep: null }, { where: { id: user.id } });
  await passwordStep(user, a);
  const res = await sendCode(a, await currentCode(user));
  expect(res.status, 'TOTP step').to.equal(303);
  return a;
}

/** A tenant's report of a listing. */
export async function reportListing(listing: Listing, reporter: User | null, opts: { reason?: ReportReason; details?: string; createdAt?: Date } = {}) {
  return Report.create({
    kind: 'listing', reporterId: reporter?.id ?? null, listingId: listing.id, conversationId: null, messageId: null,
    reason: opts.reason ?? 'money', details: opts.details ?? '', handledById: null, handledAt: null, resolutionNote: null,
    ...(opts.createdAt ? { createdAt: opts.createdAt } : {}),
  });
}

/**
 * A conversation about `listing` between `starter` and the listing's owner, with the
 * messages given in order (alternating senders unless `from` is given), one minute apart.
 */
export async function createConversation(
  listing: Listing,
  starter: User,
  bodies: (string | { from: User; body: string })[],
): Promise<{ conversation: Conversation; messages: Message[] }> {
  const owner = await User.findByPk(listing.userId);
  const start = context().clock.now().getTime() - bodies.length * 60_000;
  const conversation = await Conversation.create({
    listingId: listing.id, startedById: starter.id, lastMessageAt: new Date(start + bodies.length * 60_000), lastSenderId: null,
  });
  for (const user of [starter, owner!]) {
    await ConversationParticipant.create({
      conversationId: conversation.id, userId: user.id, lastReadAt: null, lastMessageAt: conversation.lastMessageAt, noticeSentAt: null,
    });
  }
  const messages: Message[] = [];
  for (const [i, item] of bodies.entries()) {
    const from = typeof item === 'string' ? (i % 2 === 0 ? starter : owner!) : item.from;
    const body = typeof item === 'string' ? item : item.body;
    messages.push(await Message.create({ conversationId: conversation.id, senderId: from.id, body, createdAt: new Date(start + (i + 1) * 60_000) }));
  }
  return { conversation, messages };
}

/** A participant's report of one message. */
export async function reportMessage(message: Message, reporter: User | null, opts: { reason?: ReportReason; details?: string; createdAt?: Date } = {}) {
  return Report.create({
    kind: 'message', reporterId: reporter?.id ?? null, listingId: null, conversationId: message.conversationId, messageId: message.id,
    reason: opts.reason ?? 'offensive', details: opts.details ?? '', handledById: null, handledAt: null, resolutionNote: null,
    ...(opts.createdAt ? { createdAt: opts.createdAt } : {}),
  });
}
