import crypto from 'node:crypto';
import { Op, type Transaction } from 'sequelize';
import type { Db } from '../models';
import { User } from '../models/user';
import { hashPassword } from '../server/auth/passwords';
import type { Config } from '../server/config';
import { DISTRICTS } from '../server/services/districts';
import { newTotpSecret, totpUri } from '../server/services/totp';
import { rebuildMatchGraph } from '../server/services/match-graph';
import { seedPhotos } from './seed-photos';
import { rebuildRings } from '../server/services/rings';

// Realistic, deterministic demo data for trying the board and for the benchmarks.
// Every demo account has an address under the reserved .invalid domain, so no demo
// e-mail can ever reach a real person, and the seeder can tell demo rows from real ones.

export const DEMO_DOMAIN = 'demo.invalid';
export const DEMO_PASSWORD = 'demo password for everyone';
export const DEMO_MODERATOR = 'demo_moderator';

export interface SeedOptions {
  tenants: number;
  listings?: number;
  messages?: number;
  seed?: number;
  force?: boolean;
  /** A tenant (demo_bench) with this many conversations, for the inbox benchmark. */
  benchConversations?: number;
  /** Share of tenants whose last sign-in is older than the retention period. */
  passiveShare?: number;
  /** Fill the match graph (default true; the purge benchmark's million accounts go without). */
  matchGraph?: boolean;
}

export interface SeedResult {
  tenants: number;
  listings: number;
  conversations: number;
  messages: number;
  passive: number;
  moderator: string;
  /** The demo moderator's password: random on every run, printed once, never a fixed one. */
  moderatorPassword: string;
  /** The demo moderator's TOTP secret as an otpauth:// URI, for an authenticator app. */
  moderatorTotpUri: string;
  /** Edges written to the match graph (0 when it was not filled). */
  matchEdges: number;
  matchRings: number;
  ms: number;
}

export class SeedRefused extends Error {}

/** mulberry32: small, fast and the same sequence for the same seed on every machine. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)],
    chance: (p: number) => next() < p,
  };
}

const FIRST_NAMES = [
  'aino',
  'eino',
  'helmi',
  'leo',
  'olivia',
  'elias',
  'sofia',
  'oliver',
  'ella',
  'väinö',
  'emma',
  'onni',
  'linnea',
  'vilho',
  'isla',
  'eetu',
  'aada',
  'lenni',
  'siiri',
  'niilo',
  'ellen',
  'oskar',
  'alma',
  'hugo',
  'saga',
  'nils',
  'ebba',
  'axel',
  'stella',
  'anton',
  'maja',
  'elsa',
  'matti',
  'maija',
  'pekka',
  'liisa',
  'juha',
  'tuula',
];
const FLAT_NOTES = [
  'Bright flat with windows in two directions.',
  'Quiet courtyard side, close to the tram stop.',
  'Renovated kitchen and bathroom in 2021.',
  'Lovely balcony facing the evening sun.',
  'Own sauna in the flat; shared laundry room in the basement.',
  'Near the park and the library, good for children.',
  'Top floor, lift in the building, view over the roofs.',
  'Ground floor with a small yard.',
];
const WISH_NOTES = [
  'We are expecting a baby and need one more room.',
  'Looking for something smaller now that the children moved out.',
  'Would like to live closer to work in the centre.',
  'A lift would help a lot with my knees.',
  'Hoping for a flat near the sea.',
  'Any flat with a balcony for my plants.',
];
const MESSAGE_LINES = [
  'Hi! Your flat looks great. Is it still available?',
  'Hello, could we arrange a viewing next week?',
  'Thanks for writing! Yes, it is still available.',
  'What is the monthly water fee?',
  'The flat gets morning sun in the bedroom.',
  'Would Saturday afternoon suit you?',
  'We would love to see it. Is the sauna shared?',
  'I sent the exchange application to Heka today.',
];

const BATCH = 500;

async function insertChunks(db: Db, table: string, rows: Record<string, unknown>[], transaction: Transaction) {
  const qi = db.sequelize.getQueryInterface();
  for (let i = 0; i < rows.length; i += BATCH) {
    await qi.bulkInsert(table, rows.slice(i, i + BATCH), { transaction });
  }
}

/**
 * Bulk-loads demo data; refuses a database holding real tenants, or a server declared
 * NODE_ENV=production, unless forced: demo accounts with a known password do not belong there.
 */
export async function runSeed(
  opts: SeedOptions,
  { db, config, now = new Date(), log = () => undefined }: { db: Db; config: Config; now?: Date; log?: (line: string) => void },
): Promise<SeedResult> {
  const started = Date.now();
  if (config.declaredEnv === 'production' && !opts.force) {
    throw new SeedRefused('NODE_ENV is production: demo accounts do not belong there. Pass --force to seed anyway.');
  }
  const real = await User.count({ where: { email: { [Op.notLike]: `%@${DEMO_DOMAIN}` } } });
  if (real > 0 && !opts.force) {
    throw new SeedRefused(`The database holds ${real} real accounts; pass --force to add demo data anyway.`);
  }
  const random = rng(opts.seed ?? 1);
  const tenants = opts.tenants;
  const listingCount = Math.min(opts.listings ?? Math.floor(tenants / 2), tenants);
  const messageCount = opts.messages ?? listingCount * 2;
  const passiveShare = opts.passiveShare ?? 0.1;
  const retentionMs = config.purge.retentionMonths * 31 * 24 * 3600 * 1000;
  const existing = await User.count({ where: { email: { [Op.like]: `%@${DEMO_DOMAIN}` } } });
  const prefix = existing > 0 ? `s${opts.seed ?? 1}x${existing}_` : '';

  // One hash shared by every demo tenant: hashing 100,000 passwords with argon2id would
  // take an hour and prove nothing. Demo tenants can sign in with DEMO_PASSWORD.
  const passwordHash = await hashPassword(DEMO_PASSWORD, config);
  const day = 24 * 3600 * 1000;
  let passive = 0;
  const userRows: Record<string, unknown>[] = [];
  for (let i = 0; i < tenants; i++) {
    const username = i === 0 ? `${prefix}demo_bench` : `${prefix}${random.pick(FIRST_NAMES)}_${i}`;
    const isPassive = i !== 0 && random.chance(passiveShare);
    if (isPassive) passive += 1;
    const lastLogin = new Date(now.getTime() - (isPassive ? retentionMs + random.int(1, 200) * day : random.int(0, 60) * day));
    userRows.push({
      username,
      username_lower: username.toLowerCase(),
      email: `${username.toLowerCase()}@${DEMO_DOMAIN}`,
      email_verified_at: lastLogin,
      pending_email: null,
      phone: random.chance(0.3) ? `+35840${String(1000000 + i).slice(-7)}` : null,
      show_phone: random.chance(0.2),
      password_hash: passwordHash,
      role: 'tenant',
      locale: random.pick(['sv', 'fi', 'fi', 'fi', 'en']),
      notify_messages: random.chance(0.3),
      emails_enabled: true,
      suspended_at: null,
      suspended_reason: null,
      totp_secret: null,
      totp_last_step: null,
      last_login_at: lastLogin,
      purge_warning_for: null,
      created_at: lastLogin,
      updated_at: lastLogin,
    });
  }
  await db.sequelize.transaction(async (transaction) => {
    await insertChunks(db, 'users', userRows, transaction);
  });
  log(`tenants: ${tenants}`);
  const ids = (
    await User.findAll({
      attributes: ['id'],
      where: { email: { [Op.like]: `%@${DEMO_DOMAIN}` } },
      order: [['id', 'ASC']],
      raw: true,
    })
  )
    .map((u) => u.id)
    .slice(existing);

  const listingRows: Record<string, unknown>[] = [];
  const wantedRows: { listing_id: number; district: string }[] = [];
  const firstListingId =
    ((await db.sequelize.query('SELECT MAX(id) AS m FROM listings', { plain: true })) as { m: number | null }).m ?? 0;
  for (let i = 0; i < listingCount; i++) {
    const district = random.pick(DISTRICTS);
    const rooms = random.int(1, 5);
    const size = Math.min(300, rooms * random.int(18, 30) + random.int(5, 20));
    const created = new Date(now.getTime() - random.int(0, 120) * day - random.int(0, 86_399) * 1000);
    listingRows.push({
      id: firstListingId + i + 1,
      user_id: ids[i],
      status: random.chance(0.05) ? 'paused' : 'active',
      hidden_reason: null,
      review_requested_at: null,
      district: district.code,
      postal_code: random.pick(district.postalCodes),
      rooms,
      size_m2: size,
      rent_eur: Math.min(10_000, Math.round(size * random.int(13, 21))),
      floor: random.int(1, 9),
      has_lift: random.chance(0.5),
      has_balcony: random.chance(0.5),
      has_sauna: random.chance(0.25),
      building_type: random.pick(['block', 'block', 'terraced', 'wooden']),
      available_from: null,
      description: random.pick(FLAT_NOTES),
      wanted_rooms_min: random.chance(0.8) ? Math.max(1, rooms + random.int(-1, 1)) : null,
      wanted_size_min: random.chance(0.6) ? Math.max(10, size - random.int(0, 20)) : null,
      wanted_rent_max: random.chance(0.7) ? Math.round(size * random.int(15, 25)) : null,
      wanted_lift: random.chance(0.15),
      wanted_balcony: random.chance(0.2),
      wanted_sauna: random.chance(0.1),
      wanted_description: random.pick(WISH_NOTES),
      created_at: created,
      updated_at: created,
    });
    const wantedCount = random.int(1, 4);
    const chosen = new Set<string>();
    while (chosen.size < wantedCount) chosen.add(random.pick(DISTRICTS).code);
    for (const code of chosen) wantedRows.push({ listing_id: firstListingId + i + 1, district: code });
  }
  let photos = 0;
  await db.sequelize.transaction(async (transaction) => {
    await insertChunks(db, 'listings', listingRows, transaction);
    await insertChunks(db, 'listing_wanted_districts', wantedRows, transaction);
    // A PRNG of their own, so the rest of the demo data stays as it was for the same seed.
    photos = await seedPhotos(
      db,
      listingRows.map((l) => l.id as number),
      rng((opts.seed ?? 1) + 7919),
      transaction,
    );
  });
  if (db.dialect === 'postgres') {
    await db.sequelize.query(`SELECT setval(pg_get_serial_sequence('listings', 'id'), (SELECT MAX(id) FROM listings))`);
  }
  log(`listings: ${listingCount} (${photos} demo photos)`);

  // Conversations: demo_bench writes to `benchConversations` owners; the rest are spread
  // over random pairs, about ten messages each.
  const benchConversations = Math.min(opts.benchConversations ?? 0, Math.max(listingCount - 1, 0));
  const perConversation = 10;
  const generalConversations = Math.max(0, Math.floor((messageCount - benchConversations * 2) / perConversation));
  const firstConversationId =
    ((await db.sequelize.query('SELECT MAX(id) AS m FROM conversations', { plain: true })) as { m: number | null }).m ?? 0;
  const pairs = new Set<string>();
  const convRows: Record<string, unknown>[] = [];
  const partRows: Record<string, unknown>[] = [];
  const msgRows: Record<string, unknown>[] = [];
  const addConversation = (listingIndex: number, starter: number, count: number) => {
    const owner = ids[listingIndex];
    const key = `${listingIndex}:${starter}`;
    if (owner === starter || pairs.has(key)) return;
    pairs.add(key);
    const id = firstConversationId + convRows.length + 1;
    let at = now.getTime() - random.int(1, 60) * day;
    let last = at;
    let lastSender = starter;
    const sent: { sender: number; at: number }[] = [];
    for (let m = 0; m < count; m++) {
      const sender = m % 2 === 0 ? starter : owner;
      at += random.int(5, 600) * 60_000;
      last = Math.min(at, now.getTime());
      lastSender = sender;
      sent.push({ sender, at: last });
      msgRows.push({ conversation_id: id, sender_id: sender, body: random.pick(MESSAGE_LINES), created_at: new Date(last) });
    }
    const lastAt = new Date(last);
    convRows.push({
      id,
      listing_id: firstListingId + listingIndex + 1,
      started_by_id: starter,
      last_message_at: lastAt,
      last_sender_id: lastSender,
      created_at: lastAt,
    });
    for (const userId of [starter, owner]) {
      // Read up to the end, or (for some who did not write last) read up to their own last
      // message: the unread count is then exactly the others' messages after it, as the
      // board itself keeps it.
      const readAll = userId === lastSender || random.int(0, 1) === 0;
      const ownLast = sent.filter((m) => m.sender === userId).reduce<number | null>((t, m) => Math.max(t ?? 0, m.at), null);
      const lastReadAt = readAll ? last : ownLast;
      const unread = sent.filter((m) => m.sender !== userId && (lastReadAt === null || m.at > lastReadAt)).length;
      partRows.push({
        conversation_id: id,
        user_id: userId,
        unread_count: unread,
        last_read_at: lastReadAt === null ? null : new Date(lastReadAt),
        last_message_at: lastAt,
        notice_sent_at: null,
      });
    }
  };
  for (let c = 0; c < benchConversations; c++) addConversation(c + 1, ids[0], 2);
  for (let c = 0; c < generalConversations && listingCount > 1; c++) {
    addConversation(
      random.int(0, listingCount - 1),
      ids[random.int(0, tenants - 1)],
      random.int(perConversation - 4, perConversation + 4),
    );
  }
  await db.sequelize.transaction(async (transaction) => {
    await insertChunks(db, 'conversations', convRows, transaction);
    await insertChunks(db, 'conversation_participants', partRows, transaction);
  });
  for (let i = 0; i < msgRows.length; i += 50_000) {
    await db.sequelize.transaction(async (transaction) => {
      await insertChunks(db, 'messages', msgRows.slice(i, i + 50_000), transaction);
    });
  }
  if (db.dialect === 'postgres') {
    for (const table of ['users', 'conversations', 'messages']) {
      await db.sequelize.query(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), (SELECT MAX(id) FROM ${table}))`);
    }
  }
  log(`conversations: ${convRows.length}, messages: ${msgRows.length}`);

  const moderator = `${prefix}${DEMO_MODERATOR}`;
  const totpSecret = newTotpSecret();
  // Random, so a seeded board is never open to whoever has read this file.
  const moderatorPassword = crypto.randomBytes(18).toString('base64url');
  await User.create({
    username: moderator,
    usernameLower: moderator.toLowerCase(),
    email: `${moderator}@${DEMO_DOMAIN}`,
    emailVerifiedAt: now,
    pendingEmail: null,
    phone: null,
    passwordHash: await hashPassword(moderatorPassword, config),
    role: 'admin',
    suspendedAt: null,
    suspendedReason: null,
    totpSecret,
    totpLastStep: null,
    lastLoginAt: now,
    purgeWarningFor: null,
  });
  // The rows above bypass the listing service, so the match graph is built in one go.
  let matchEdges = 0;
  let matchRings = 0;
  if (opts.matchGraph !== false) {
    const graphStarted = Date.now();
    matchEdges = await rebuildMatchGraph(db.sequelize);
    log(`match graph: ${matchEdges} edges in ${((Date.now() - graphStarted) / 1000).toFixed(1)} s`);
    const ringsStarted = Date.now();
    matchRings = await rebuildRings(db.sequelize);
    log(`three-way swaps: ${matchRings} rings in ${((Date.now() - ringsStarted) / 1000).toFixed(1)} s`);
  }
  // Table statistics for the query planner. Without them SQLite guesses, and the match
  // queries walk every active listing instead of starting from the wanted-districts
  // index (14 ms instead of 3 ms each at 50,000 listings).
  await db.sequelize.query('ANALYZE');
  await db.checkpoint();
  return {
    tenants,
    listings: listingCount,
    conversations: convRows.length,
    messages: msgRows.length,
    passive,
    moderator,
    moderatorPassword,
    moderatorTotpUri: totpUri(config, moderator, totpSecret),
    matchEdges,
    matchRings,
    ms: Date.now() - started,
  };
}
