import crypto from 'node:crypto';
import { runPurge, type PurgeDeps } from '../../jobs/purge';
import { Block } from '../../models/block';
import { Conversation } from '../../models/conversation';
import { ConversationParticipant } from '../../models/conversation-participant';
import { Favourite } from '../../models/favourite';
import { Listing } from '../../models/listing';
import { ListingWantedDistrict } from '../../models/listing-wanted-district';
import { Message } from '../../models/message';
import { Report, type ReportReason } from '../../models/report';
import { Session } from '../../models/session';
import { Token, type TokenPurpose } from '../../models/token';
import { User, type Locale, type Role } from '../../models/user';
import { hashPassword } from '../../server/auth/passwords';
import { refreshListingEdges } from '../../server/services/match-graph';
import { newTotpSecret } from '../../server/services/totp';
import { context, deliverQueuedMail } from './context';

// Every row a test needs, built straight into the tables with the same shape the services
// would leave (match graph, unread counts). One module, so a test reads
// `createConversation(listing, starter, messages)` the same way everywhere.

export const DEFAULT_PASSWORD = 'correct horse battery staple';

let defaultHash: Promise<string> | undefined;
function hashFor(password: string): Promise<string> {
  const { config } = context();
  if (password === DEFAULT_PASSWORD) {
    defaultHash ??= hashPassword(DEFAULT_PASSWORD, config);
    return defaultHash;
  }
  return hashPassword(password, config);
}

let seq = 0;
export function unique(prefix: string): string {
  seq += 1;
  return `${prefix}${seq}`;
}

export interface UserOptions {
  username?: string;
  email?: string;
  phone?: string | null;
  password?: string;
  verified?: boolean;
  role?: Role;
  locale?: Locale;
  lastLoginAt?: Date;
  suspended?: string;
  showPhone?: boolean;
  notifyMessages?: boolean;
  totpSecret?: string | null;
}

/** A verified tenant (unless `verified: false`) who signed in just now by the test clock. */
export async function createUser(opts: UserOptions = {}): Promise<User> {
  const username = opts.username ?? unique('tenant');
  const now = context().clock.now();
  return User.create({
    username,
    usernameLower: username.toLowerCase(),
    email: (opts.email ?? `${username}@example.fi`).toLowerCase(),
    emailVerifiedAt: opts.verified === false ? null : now,
    pendingEmail: null,
    phone: opts.phone ?? null,
    showPhone: opts.showPhone ?? false,
    passwordHash: await hashFor(opts.password ?? DEFAULT_PASSWORD),
    role: opts.role ?? 'tenant',
    locale: opts.locale ?? 'sv',
    notifyMessages: opts.notifyMessages ?? false,
    suspendedAt: opts.suspended ? now : null,
    suspendedReason: opts.suspended ?? null,
    totpSecret: opts.totpSecret ?? null,
    totpLastStep: null,
    lastLoginAt: opts.lastLoginAt ?? now,
    purgeWarningFor: null,
  });
}

export interface ListingOptions {
  status?: 'active' | 'paused' | 'hidden' | 'removed';
  district?: string;
  postalCode?: string;
  rooms?: number;
  sizeM2?: number;
  rentEur?: number;
  hasLift?: boolean;
  hasBalcony?: boolean;
  hasSauna?: boolean;
  description?: string;
  wantedDistricts?: string[];
  wantedRoomsMin?: number | null;
  wantedSizeMin?: number | null;
  wantedRentMax?: number | null;
  wantedLift?: boolean;
  wantedBalcony?: boolean;
  wantedSauna?: boolean;
  wantedDescription?: string;
  hiddenReason?: string | null;
  createdAt?: Date;
}

/** A listing for `owner` (a verified tenant is created when none is given). */
export async function createListing(owner?: User, opts: ListingOptions = {}): Promise<Listing> {
  const user = owner ?? (await createUser());
  const listing = await Listing.create({
    userId: user.id,
    status: opts.status ?? 'active',
    hiddenReason: opts.hiddenReason ?? null,
    reviewRequestedAt: null,
    district: opts.district ?? 'kallio',
    postalCode: opts.postalCode ?? '00530',
    rooms: opts.rooms ?? 2,
    sizeM2: opts.sizeM2 ?? 48,
    rentEur: opts.rentEur ?? 780,
    floor: 3,
    hasLift: opts.hasLift ?? false,
    hasBalcony: opts.hasBalcony ?? false,
    hasSauna: opts.hasSauna ?? false,
    buildingType: 'block',
    availableFrom: null,
    description: opts.description ?? 'Bright two-room flat near the park.',
    wantedRoomsMin: opts.wantedRoomsMin ?? null,
    wantedSizeMin: opts.wantedSizeMin ?? null,
    wantedRentMax: opts.wantedRentMax ?? null,
    wantedLift: opts.wantedLift ?? false,
    wantedBalcony: opts.wantedBalcony ?? false,
    wantedSauna: opts.wantedSauna ?? false,
    wantedDescription: opts.wantedDescription ?? '',
    ...(opts.createdAt ? { createdAt: opts.createdAt } : {}),
  });
  const wanted = opts.wantedDistricts ?? ['vallila'];
  await ListingWantedDistrict.bulkCreate(wanted.map((district) => ({ listingId: listing.id, district })));
  // Written straight to the tables, so the match graph is brought up to date as the
  // listing service would do it.
  const { sequelize } = context().db;
  await sequelize.transaction((transaction) => refreshListingEdges(sequelize, listing.id, transaction));
  return listing;
}

/** A moderator with a TOTP secret (already confirmed unless `confirmed: false`). */
export async function createModerator(opts: UserOptions & { confirmed?: boolean } = {}): Promise<User> {
  const user = await createUser({
    ...opts,
    role: 'admin',
    totpSecret: opts.totpSecret === undefined ? newTotpSecret() : opts.totpSecret,
  });
  if (opts.confirmed !== false && user.totpSecret) await user.update({ totpConfirmedAt: context().clock.now() });
  return user;
}

/** A tenant with a listing. */
export async function tenantWithListing(
  userOpts: UserOptions = {},
  listingOpts: ListingOptions = {},
): Promise<{ user: User; listing: Listing }> {
  const user = await createUser(userOpts);
  const listing = await createListing(user, listingOpts);
  return { user, listing };
}

/** Creates `n` active listings in Kallio, one second apart (the last one newest). */
export async function manyListings(n: number, opts: ListingOptions = {}): Promise<void> {
  const start = Date.UTC(2026, 0, 1);
  for (let i = 0; i < n; i += 1) {
    await createListing(undefined, { createdAt: new Date(start + i * 1000), ...opts });
  }
}

/** A complete, valid listing form as a browser sends it (the form's field names). */
export function listingForm(overrides: Record<string, string | string[]> = {}): Record<string, string | string[]> {
  return {
    district: 'kallio',
    postal_code: '00530',
    rooms: '2',
    size_m2: '48',
    rent_eur: '780',
    floor: '3',
    has_lift: 'on',
    building_type: 'block',
    available_from: '2027-03-01',
    description: 'Bright two-room flat by the park.',
    wanted_districts: ['vallila', 'toolo'],
    wanted_rooms_min: '3',
    wanted_size_min: '60',
    wanted_rent_max: '1100',
    wanted_description: 'A bigger place for our family.',
    ...overrides,
  };
}

export async function createFavourite(user: User, listing: Listing): Promise<Favourite> {
  return Favourite.create({ userId: user.id, listingId: listing.id });
}

export async function createBlock(blocker: User, blocked: User): Promise<Block> {
  return Block.create({ blockerId: blocker.id, blockedId: blocked.id, createdAt: context().clock.now() });
}

/** A message in a conversation: a text (see createConversation for its sender) or a sender, text and time. */
export type MessageSpec = string | { from: User; body: string; at?: Date };

const FIRST_MESSAGE = 'Hej! Är din lägenhet fortfarande ledig?';

/**
 * A conversation about `listing` between `starter` and the listing's owner, with the
 * given messages, oldest first (by default one from the starter). A plain text is sent
 * by the starter and the owner in turn, starting with the starter; messages without a
 * time are one second apart, the last one a second before now by the test clock.
 * Unread counts are what the exchange would have left: nobody has read what the other
 * wrote. `at` dates a conversation that has no messages yet (then add them with
 * createMessage).
 */
export async function createConversation(
  listing: Listing,
  starter: User,
  specs: MessageSpec[] = [FIRST_MESSAGE],
  opts: { at?: Date } = {},
): Promise<{ conversation: Conversation; messages: Message[] }> {
  const now = context().clock.now();
  const ownerId = listing.userId;
  const items = specs.map((spec, i) => {
    const fromId = typeof spec === 'string' ? (i % 2 === 0 ? starter.id : ownerId) : spec.from.id;
    const body = typeof spec === 'string' ? spec : spec.body;
    const at = (typeof spec === 'string' ? undefined : spec.at) ?? new Date(now.getTime() - (specs.length - i) * 1000);
    return { fromId, body, at };
  });
  const first = items[0];
  const last = items[items.length - 1];
  const lastAt = last?.at ?? opts.at ?? now;
  const conversation = await Conversation.create({
    listingId: listing.id,
    startedById: starter.id,
    lastMessageAt: lastAt,
    lastSenderId: last?.fromId ?? null,
    createdAt: first?.at ?? opts.at ?? now,
  });
  const messages: Message[] = [];
  for (const item of items) {
    messages.push(
      await Message.create({ conversationId: conversation.id, senderId: item.fromId, body: item.body, createdAt: item.at }),
    );
  }
  await ConversationParticipant.bulkCreate(
    [starter.id, ownerId].map((userId) => ({
      conversationId: conversation.id,
      userId,
      unreadCount: items.filter((m) => m.fromId !== userId).length,
      lastReadAt: null,
      lastMessageAt: lastAt,
      noticeSentAt: null,
    })),
  );
  return { conversation, messages };
}

/** One more message from `sender`: the other participants' unread counts go up, as sending does. */
export async function createMessage(
  conversation: Conversation,
  sender: User,
  body: string,
  at: Date = context().clock.now(),
): Promise<Message> {
  const message = await Message.create({ conversationId: conversation.id, senderId: sender.id, body, createdAt: at });
  await conversation.update({ lastMessageAt: at, lastSenderId: sender.id });
  for (const p of await ConversationParticipant.findAll({ where: { conversationId: conversation.id } })) {
    await p.update({ lastMessageAt: at, unreadCount: p.userId === sender.id ? p.unreadCount : p.unreadCount + 1 });
  }
  return message;
}

/** Marks the conversation read for `user` at `at` (unread count 0), as opening the thread does. */
export async function markRead(conversation: Conversation, user: User, at: Date = context().clock.now()): Promise<void> {
  await ConversationParticipant.update(
    { unreadCount: 0, lastReadAt: at },
    { where: { conversationId: conversation.id, userId: user.id } },
  );
}

export interface ReportOptions {
  reason?: ReportReason;
  details?: string;
  createdAt?: Date;
}

/** `reporter`'s open report of a listing (a null reporter is a deleted account's). */
export async function reportListing(reporter: User | null, listing: Listing, opts: ReportOptions = {}): Promise<Report> {
  return Report.create({
    kind: 'listing',
    reporterId: reporter?.id ?? null,
    listingId: listing.id,
    conversationId: null,
    messageId: null,
    reason: opts.reason ?? 'money',
    details: opts.details ?? '',
    handledById: null,
    handledAt: null,
    resolutionNote: null,
    ...(opts.createdAt ? { createdAt: opts.createdAt } : {}),
  });
}

/** `reporter`'s open report of one message (a null reporter is a deleted account's). */
export async function reportMessage(reporter: User | null, message: Message, opts: ReportOptions = {}): Promise<Report> {
  return Report.create({
    kind: 'message',
    reporterId: reporter?.id ?? null,
    listingId: null,
    conversationId: message.conversationId,
    messageId: message.id,
    reason: opts.reason ?? 'offensive',
    details: opts.details ?? '',
    handledById: null,
    handledAt: null,
    resolutionNote: null,
    ...(opts.createdAt ? { createdAt: opts.createdAt } : {}),
  });
}

/** A pending e-mailed link; returns the raw value that would be in the e-mail. */
export async function createToken(user: User, purpose: TokenPurpose, ttlMs = 3600_000): Promise<{ token: Token; raw: string }> {
  const raw = crypto.randomBytes(32).toString('base64url');
  const token = await Token.create({
    userId: user.id,
    purpose,
    tokenHash: crypto.createHash('sha256').update(raw).digest('hex'),
    expiresAt: new Date(context().clock.now().getTime() + ttlMs),
    usedAt: null,
  });
  return { token, raw };
}

/** A stored session row of a signed-in user (as the session store writes it). */
export async function createSession(user: User, ttlMs = 30 * 60_000): Promise<Session> {
  const now = context().clock.now();
  return Session.create({
    sid: crypto.randomBytes(16).toString('hex'),
    expires: new Date(now.getTime() + ttlMs),
    data: JSON.stringify({ cookie: {}, passport: { user: user.id } }),
    userId: user.id,
    createdAt: now,
    updatedAt: now,
  });
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
