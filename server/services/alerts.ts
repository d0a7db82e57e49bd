import crypto from 'node:crypto';
import { Op, QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { AlertSetting } from '../../models/alert-setting';
import { Listing } from '../../models/listing';
import { SavedSearch } from '../../models/saved-search';
import type { User } from '../../models/user';
import type { AppDeps } from '../context';
import { NotFound, ValidationFailed } from '../errors';
import { TIME_ZONE } from '../i18n';
import { isDistrictCode } from './districts';
import type { SearchFilters } from './listings';
import { suggestionsFor } from './suggestions';

// Alerts (opt-in, off by default): "new swaps for my home" and saved searches whose new
// listings are e-mailed. This file holds the tenant's side — the settings, the saved
// searches, the unsubscribe link — and what the erasure and the export need; the daily
// job that sends the e-mails is jobs/alerts.ts.

/** A tenant keeps at most this many saved searches. */
export const SAVED_SEARCH_LIMIT = 5;
export const SAVED_SEARCH_NAME_MAX = 80;

/** The filters of a saved search: the search page's, without sort and page. */
export type SavedFilters = Omit<SearchFilters, 'sort' | 'page'>;

export function savedFiltersOf(f: SearchFilters): SavedFilters {
  const out: SavedFilters = { districts: [...new Set(f.districts)].sort(), lift: f.lift, balcony: f.balcony, sauna: f.sauna };
  if (f.roomsMin !== undefined) out.roomsMin = f.roomsMin;
  if (f.roomsMax !== undefined) out.roomsMax = f.roomsMax;
  if (f.sizeMin !== undefined) out.sizeMin = f.sizeMin;
  if (f.rentMax !== undefined) out.rentMax = f.rentMax;
  return out;
}

/** The stored JSON read back; anything unexpected is dropped, never thrown. */
export function parseSavedFilters(json: string): SavedFilters {
  let raw: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(json);
    if (parsed && typeof parsed === 'object') raw = parsed as Record<string, unknown>;
  } catch {
    // an unreadable row matches like an empty search
  }
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const districts = Array.isArray(raw.districts) ? raw.districts.filter(isDistrictCode) : [];
  return savedFiltersOf({
    districts,
    roomsMin: num(raw.roomsMin),
    roomsMax: num(raw.roomsMax),
    sizeMin: num(raw.sizeMin),
    rentMax: num(raw.rentMax),
    lift: raw.lift === true,
    balcony: raw.balcony === true,
    sauna: raw.sauna === true,
    sort: 'newest',
    page: 1,
  });
}

/** The same filters as a search (newest first, page 1), e.g. for the link to its results. */
export function asSearch(f: SavedFilters): SearchFilters {
  return { ...f, sort: 'newest', page: 1 };
}

/** What the job compares a listing's flat against (the columns search filters on). */
export interface ListingFacts {
  id: number;
  userId: number;
  district: string;
  rooms: number;
  sizeM2: number;
  rentEur: number;
  hasLift: boolean;
  hasBalcony: boolean;
  hasSauna: boolean;
}

/** The search page's rules, in memory: true when the listing would be in the search's results. */
export function matchesFilters(f: SavedFilters, l: ListingFacts): boolean {
  if (f.districts.length > 0 && !f.districts.includes(l.district)) return false;
  if (f.roomsMin !== undefined && l.rooms < f.roomsMin) return false;
  if (f.roomsMax !== undefined && l.rooms > f.roomsMax) return false;
  if (f.sizeMin !== undefined && l.sizeM2 < f.sizeMin) return false;
  if (f.rentMax !== undefined && l.rentEur > f.rentMax) return false;
  if (f.lift && !l.hasLift) return false;
  if (f.balcony && !l.hasBalcony) return false;
  if (f.sauna && !l.hasSauna) return false;
  return true;
}

const DAY_FORMAT = new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });

/** The calendar day in Helsinki (YYYY-MM-DD): the unit of "at most one e-mail a day". */
export function helsinkiDay(at: Date): string {
  return DAY_FORMAT.format(at);
}

/**
 * The highest listing id such that every listing with an id up to it has committed:
 * "new listings" are those above a search's seen_listing_id and up to this. On
 * PostgreSQL ids are handed out before commit, so the table is locked for the moment of
 * one MAX (SHARE mode waits for inserts in flight and lets readers through); SQLite has
 * one writer, so its MAX is already that.
 */
export async function listingCeiling(sequelize: Sequelize): Promise<number> {
  const read = async (transaction?: Transaction) => {
    const [row] = await sequelize.query<{ n: number | string | null }>('SELECT MAX(id) AS n FROM listings', {
      type: QueryTypes.SELECT,
      transaction,
    });
    return Number(row?.n ?? 0);
  };
  if (sequelize.getDialect() !== 'postgres') return read();
  return sequelize.transaction(async (transaction) => {
    await sequelize.query('LOCK TABLE listings IN SHARE MODE', { transaction });
    return read(transaction);
  });
}

// The one-click "stop these e-mails" link. An HMAC of the user id and the link's expiry
// with a purpose prefix of its own, so it can never pass for another link signed with the
// same secret; it only ever turns alerts off, and only until it expires.
export const ALERT_UNSUBSCRIBE_TTL_MS = 60 * 24 * 3600 * 1000;

function signature(secret: string, userId: number, expires: number): string {
  return crypto.createHmac('sha256', secret).update(`alerts-off:${userId}:${expires}`).digest('base64url');
}

export function alertUnsubscribeQuery(secret: string, userId: number, now: Date): string {
  const expires = Math.floor((now.getTime() + ALERT_UNSUBSCRIBE_TTL_MS) / 1000);
  return `u=${userId}&e=${expires}&sig=${signature(secret, userId, expires)}`;
}

/** The user id of a genuine, unexpired link, or null (compared in constant time). */
export function checkAlertUnsubscribe(secret: string, u: unknown, e: unknown, sig: unknown, now: Date): number | null {
  if (typeof u !== 'string' || !/^[1-9][0-9]{0,9}$/.test(u) || typeof sig !== 'string' || sig.length > 100) return null;
  if (typeof e !== 'string' || !/^[1-9][0-9]{0,11}$/.test(e) || Number(e) * 1000 <= now.getTime()) return null;
  const userId = Number(u);
  const expected = Buffer.from(signature(secret, userId, Number(e)));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return null;
  return userId;
}

export interface ItemRow {
  userId: number;
  kind: string;
  a: number;
  b?: number;
  c?: number;
}

/** Records suggestions and listings as told (or as already there), ignoring those recorded before. */
export async function recordItems(
  sequelize: Sequelize,
  items: readonly ItemRow[],
  now: Date,
  transaction?: Transaction,
): Promise<void> {
  const conflict = 'ON CONFLICT (user_id, kind, a, b, c) DO NOTHING';
  // Numbers and a kind from a fixed list only, so the values are written inline. So is
  // the time, escaped once by Sequelize: given as a replacement, Sequelize re-read each
  // statement's whole VALUES list to find it (~1 s of a 20,000-tenant first run, more
  // than SQLite spent inserting).
  const createdAt = sequelize.escape(now);
  const KINDS = new Set(['pair', 'ring']);
  for (let i = 0; i < items.length; i += 500) {
    const values = items.slice(i, i + 500).map((item) => {
      if (!KINDS.has(item.kind)) throw new Error(`unknown alert item kind ${item.kind}`);
      const nums = [item.userId, item.a, item.b ?? 0, item.c ?? 0].map((n) => {
        if (!Number.isSafeInteger(n)) throw new Error('alert item ids must be integers');
        return n;
      });
      return `(${nums[0]}, '${item.kind}', ${nums[1]}, ${nums[2]}, ${nums[3]}, ${createdAt})`;
    });
    await sequelize.query(
      `INSERT INTO alert_items (user_id, kind, a, b, c, created_at) VALUES ${values.join(', ')} ${conflict}`,
      {
        transaction,
      },
    );
  }
}

/** Deletes everything alerts keep about these accounts (the erasure cascade and the purge). */
export async function deleteAlertData(userIds: readonly number[], transaction: Transaction): Promise<void> {
  if (userIds.length === 0) return;
  const sequelize = SavedSearch.sequelize!;
  await sequelize.query('DELETE FROM alert_items WHERE user_id IN (:userIds)', {
    replacements: { userIds: [...userIds] },
    transaction,
  });
  await SavedSearch.destroy({ where: { userId: { [Op.in]: [...userIds] } }, transaction });
  await AlertSetting.destroy({ where: { userId: { [Op.in]: [...userIds] } }, transaction });
}

export interface MyAlertData {
  newSwaps: boolean;
  lastSentAt: Date | null;
  savedSearches: { id: number; name: string; filters: SavedFilters; alert: boolean; createdAt: Date }[];
  /** How many suggestions the board has noted as told to me (or there when I opted in). */
  told: { pairs: number; rings: number };
}

/** A saved search as pages read it. */
export interface SavedSearchRow {
  id: number;
  name: string;
  filters: string;
  alert: boolean;
  createdAt: Date;
}

const asDate = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));
const asBool = (v: unknown): boolean => v === true || Number(v) === 1;

/**
 * The tenant's alert settings, saved searches and how many suggestions are noted as
 * told, in one query (the /account page and "My data" each have a query budget).
 */
export async function loadAlertState(userId: number): Promise<{
  newSwaps: boolean;
  lastSentAt: Date | null;
  searches: SavedSearchRow[];
  told: { pairs: number; rings: number };
}> {
  const rows = await SavedSearch.sequelize!.query<Record<string, unknown>>(
    `SELECT s.new_swaps AS new_swaps, s.last_sent_at AS last_sent_at,
            (SELECT COUNT(*) FROM alert_items t WHERE t.user_id = u.id AND t.kind = 'pair') AS told_pairs,
            (SELECT COUNT(*) FROM alert_items t WHERE t.user_id = u.id AND t.kind = 'ring') AS told_rings,
            ss.id AS id, ss.name AS name, ss.filters AS filters, ss.alert AS alert, ss.created_at AS created_at
       FROM users u
       LEFT JOIN alert_settings s ON s.user_id = u.id
       LEFT JOIN saved_searches ss ON ss.user_id = u.id
      WHERE u.id = :userId
      ORDER BY ss.created_at, ss.id`,
    { type: QueryTypes.SELECT, replacements: { userId } },
  );
  const first = rows[0];
  return {
    newSwaps: first ? asBool(first.new_swaps) : false,
    lastSentAt: first?.last_sent_at ? asDate(first.last_sent_at) : null,
    searches: rows
      .filter((r) => r.id !== null && r.id !== undefined)
      .map((r) => ({
        id: Number(r.id),
        name: String(r.name ?? ''),
        filters: String(r.filters),
        alert: asBool(r.alert),
        createdAt: asDate(r.created_at),
      })),
    told: { pairs: Number(first?.told_pairs ?? 0), rings: Number(first?.told_rings ?? 0) },
  };
}

/** The alert part of "My data" and the export. */
export async function collectAlertData(userId: number): Promise<MyAlertData> {
  const state = await loadAlertState(userId);
  return {
    newSwaps: state.newSwaps,
    lastSentAt: state.lastSentAt,
    savedSearches: state.searches.map((s) => ({
      id: s.id,
      name: s.name,
      filters: parseSavedFilters(s.filters),
      alert: s.alert,
      createdAt: s.createdAt,
    })),
    told: state.told,
  };
}

export type SaveOutcome = 'saved' | 'already_saved';

export function createAlertService(deps: AppDeps) {
  const { db, clock, logger } = deps;
  const sequelize = db.sequelize;

  /** The row of settings, made when a tenant first touches alerts. */
  async function settingsRow(userId: number, transaction: Transaction): Promise<AlertSetting> {
    const found = await AlertSetting.findByPk(userId, { transaction });
    if (found) return found;
    return AlertSetting.create({ userId, newSwaps: false, lastSentDay: null, lastSentAt: null }, { transaction });
  }

  /**
   * What already exists when the tenant opts in is not news: the current suggestions of
   * their listing are noted as told, so the first e-mail holds only what came after.
   */
  async function noteCurrentSuggestions(userId: number, transaction: Transaction): Promise<void> {
    const listing = await Listing.findOne({ where: { userId }, attributes: ['id'], transaction });
    if (!listing) return;
    const current = await suggestionsFor(sequelize, [listing.id], { unseen: true, transaction });
    await recordItems(
      sequelize,
      current.map((s) => ({ ...s, userId })),
      clock(),
      transaction,
    );
  }

  return {
    /** One of the tenant's own saved searches, or null (another tenant's is not found either). */
    async findOwnSearch(user: User, id: number): Promise<SavedSearch | null> {
      return SavedSearch.findOne({ where: { id, userId: user.id } });
    },

    /**
     * Saves the filters (at most SAVED_SEARCH_LIMIT per tenant; the same filters twice
     * are saved once). Listings already on the board are not news to this search: it
     * starts from the newest listing id.
     */
    async saveSearch(user: User, filters: SavedFilters, name: string, alert: boolean): Promise<SaveOutcome> {
      const json = JSON.stringify(filters);
      const ceiling = await listingCeiling(sequelize);
      const outcome = await sequelize.transaction(async (transaction) => {
        const own = await SavedSearch.findAll({ where: { userId: user.id }, attributes: ['id', 'filters'], transaction });
        if (own.some((s) => s.filters === json)) return 'already_saved' as const;
        if (own.length >= SAVED_SEARCH_LIMIT) throw ValidationFailed({ name: 'alerts:save.errors.limit' }, 'saved_search_limit');
        await settingsRow(user.id, transaction);
        await SavedSearch.create({ userId: user.id, name, filters: json, alert, seenListingId: ceiling }, { transaction });
        return 'saved' as const;
      });
      if (outcome === 'saved') logger.info({ userId: user.id, alert }, 'search saved');
      return outcome;
    },

    /**
     * The alert choices of /account: new swaps on or off, and which saved searches send
     * alerts. Ids that are not the tenant's own answer 404 and change nothing.
     */
    async updateAlerts(user: User, choice: { newSwaps: boolean; searchIds: readonly number[] }): Promise<void> {
      const ceiling = await listingCeiling(sequelize);
      await sequelize.transaction(async (transaction) => {
        const own = await SavedSearch.findAll({ where: { userId: user.id }, transaction });
        const wanted = new Set(choice.searchIds);
        for (const id of wanted) if (!own.some((s) => s.id === id)) throw NotFound();
        const row = await settingsRow(user.id, transaction);
        if (choice.newSwaps && !row.newSwaps) await noteCurrentSuggestions(user.id, transaction);
        if (row.newSwaps !== choice.newSwaps) await row.update({ newSwaps: choice.newSwaps }, { transaction });
        for (const search of own) {
          const on = wanted.has(search.id);
          if (on === search.alert) continue;
          // Switched on: what is on the board now is not news.
          await search.update(on ? { alert: true, seenListingId: ceiling } : { alert: false }, { transaction });
        }
      });
      logger.info(
        { userId: user.id, newSwaps: choice.newSwaps, searchAlerts: choice.searchIds.length },
        'alert settings changed',
      );
    },

    async deleteSearch(user: User, search: SavedSearch): Promise<void> {
      if (search.userId !== user.id) throw NotFound();
      await search.destroy();
      await db.checkpoint();
      logger.info({ userId: user.id }, 'saved search deleted');
    },

    /** The e-mail's one-click link: every alert off (the saved searches stay). */
    async unsubscribe(userId: number): Promise<void> {
      await sequelize.transaction(async (transaction) => {
        await AlertSetting.update({ newSwaps: false }, { where: { userId }, transaction });
        await SavedSearch.update({ alert: false }, { where: { userId }, transaction });
      });
      logger.info({ userId }, 'alerts turned off from the e-mail link');
    },
  };
}

export type AlertService = ReturnType<typeof createAlertService>;
