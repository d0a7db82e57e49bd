import { Op, QueryTypes, UniqueConstraintError, type Order, type WhereOptions } from 'sequelize';
import { Favourite } from '../../models/favourite';
import { LISTING_STATUS, Listing, type BuildingType } from '../../models/listing';
import { ListingWantedDistrict } from '../../models/listing-wanted-district';
import { Report, type ReportReason } from '../../models/report';
import { User } from '../../models/user';
import type { AppDeps } from '../context';
import { Conflict } from '../errors';

// Listings (SPEC §6): a tenant's one listing, search, mutual matching, favourites and
// listing reports. Everything that lists listings is a database query with LIMIT and a
// COUNT on the indexed columns (status + district / created_at / rent / size, and
// listing_wanted_districts (district, listing_id)), so it stays fast with 50,000 rows.

export const PAGE_SIZE = 20;
/** At most this many matches (and "who wants my home") are shown; the total is counted. */
export const MATCH_LIMIT = 50;
export const FAVOURITES_LIMIT = 200;

export interface ListingInput {
  district: string;
  postalCode: string;
  rooms: number;
  sizeM2: number;
  rentEur: number;
  floor: number | null;
  hasLift: boolean;
  hasBalcony: boolean;
  hasSauna: boolean;
  buildingType: BuildingType | null;
  availableFrom: string | null;
  description: string;
  wantedDistricts: string[];
  wantedRoomsMin: number | null;
  wantedSizeMin: number | null;
  wantedRentMax: number | null;
  wantedLift: boolean;
  wantedBalcony: boolean;
  wantedSauna: boolean;
  wantedDescription: string;
}

export type SearchSort = 'newest' | 'rent' | 'size';

export interface SearchFilters {
  districts: string[];
  roomsMin?: number;
  roomsMax?: number;
  sizeMin?: number;
  rentMax?: number;
  lift: boolean;
  balcony: boolean;
  sauna: boolean;
  sort: SearchSort;
  page: number;
}

export interface SearchResult {
  listings: Listing[];
  total: number;
  page: number;
  pages: number;
}

export interface ScoredListing {
  listing: Listing;
  /** 0–100: the overall fit (mutual matches) or how well my flat fits their wishes. */
  score: number;
  /** How well their flat fits my wishes, 0–100 (null in "who wants my home"). */
  fitsMe: number | null;
  /** How well my flat fits their wishes, 0–100. */
  fitsThem: number;
  /** In "who wants my home": their flat also fits my wishes. */
  mutual: boolean;
}

export interface MatchList {
  items: ScoredListing[];
  total: number;
}

const SORT_ORDER: Record<SearchSort, Order> = {
  newest: [['createdAt', 'DESC'], ['id', 'DESC']],
  rent: [['rentEur', 'ASC'], ['id', 'ASC']],
  size: [['sizeM2', 'DESC'], ['id', 'DESC']],
};

const OWNER_FOR_CARDS = { model: User, as: 'owner', attributes: ['id', 'username'] };

/* ------------------------------------------------------------------------------------
 * The fit score.
 *
 * A match is only a match when every stated wish is met (district among the wanted
 * ones, rooms >= wanted minimum, size >= wanted minimum, rent <= wanted maximum, every
 * required feature present; an empty wish asks for nothing). The score then says how
 * well a flat fits a set of wishes *beyond* those minimums, from 40 to 100 points:
 *
 *   40  for meeting every wish at all
 * + 16  rooms:  8 per room above the wanted minimum, up to 2 rooms   (16 if no minimum)
 * + 16  size:   0.8 per m² above the wanted minimum, up to 20 m²      (16 if no minimum)
 * + 18  rent:   0.06 per € below the wanted maximum, up to 300 €      (18 if no maximum)
 * + 10  extras: lift, balcony and sauna the flat has, 10/3 each (0, 3, 6 or 10)
 *
 * All in whole numbers (integer division rounds down). A mutual match's score is the
 * mean of both sides, rounded half up: how well their flat fits my wishes and how well
 * mine fits theirs. "Who wants my home" is scored by the second side alone. The page
 * shows the score as "fit 87 %".
 *
 * The same expression is used in both directions: a "flat" and a "wish" are SQL
 * expressions, either columns of the candidate listing `l` or my own listing's values
 * written in as integer literals (they come from integer columns and are checked).
 * ---------------------------------------------------------------------------------- */

export const FIT = {
  base: 40,
  rooms: { points: 16, cap: 2 },
  size: { points: 16, cap: 20 },
  rent: { points: 18, cap: 300 },
  extras: 10,
} as const;

type Sql = string;
interface FlatSql { rooms: Sql; size: Sql; rent: Sql; extras: Sql }
interface WishSql { roomsMin: Sql; sizeMin: Sql; rentMax: Sql }

function lit(n: number | null): Sql {
  if (n === null) return 'NULL';
  if (!Number.isSafeInteger(n)) throw new Error('matching: expected an integer');
  return String(n);
}
const flagSql = (column: Sql) => `(CASE WHEN ${column} THEN 1 ELSE 0 END)`;

/** Points for `room` of headroom (`room` >= 0 once the wish is met), capped. */
function headroom(room: Sql, wish: Sql, { points, cap }: { points: number; cap: number }): Sql {
  if (wish === 'NULL') return String(points);
  return `(CASE WHEN ${wish} IS NULL OR ${room} >= ${cap} THEN ${points} ELSE ((${room}) * ${points}) / ${cap} END)`;
}

function fitSql(flat: FlatSql, wish: WishSql): Sql {
  return `(${FIT.base}`
    + ` + ${headroom(`${flat.rooms} - ${wish.roomsMin}`, wish.roomsMin, FIT.rooms)}`
    + ` + ${headroom(`${flat.size} - ${wish.sizeMin}`, wish.sizeMin, FIT.size)}`
    + ` + ${headroom(`${wish.rentMax} - ${flat.rent}`, wish.rentMax, FIT.rent)}`
    + ` + ${flat.extras})`;
}

const extrasPoints = (n: number) => Math.floor((n * FIT.extras) / 3);

function candidateFlat(): FlatSql {
  return {
    rooms: 'l.rooms', size: 'l.size_m2', rent: 'l.rent_eur',
    extras: `(((${flagSql('l.has_lift')} + ${flagSql('l.has_balcony')} + ${flagSql('l.has_sauna')}) * ${FIT.extras}) / 3)`,
  };
}
function candidateWish(): WishSql {
  return { roomsMin: 'l.wanted_rooms_min', sizeMin: 'l.wanted_size_min', rentMax: 'l.wanted_rent_max' };
}
function myFlat(me: Listing): FlatSql {
  return {
    rooms: lit(me.rooms), size: lit(me.sizeM2), rent: lit(me.rentEur),
    extras: lit(extrasPoints(Number(me.hasLift) + Number(me.hasBalcony) + Number(me.hasSauna))),
  };
}
function myWish(me: Listing): WishSql {
  return { roomsMin: lit(me.wantedRoomsMin), sizeMin: lit(me.wantedSizeMin), rentMax: lit(me.wantedRentMax) };
}

/** Conditions under which candidate `l`'s flat meets my wishes. */
function theirFlatFitsMe(me: Listing, myDistricts: string[]): Sql[] {
  const c: Sql[] = [myDistricts.length > 0 ? 'l.district IN (:myWantedDistricts)' : '1 = 0'];
  if (me.wantedRoomsMin !== null) c.push(`l.rooms >= ${lit(me.wantedRoomsMin)}`);
  if (me.wantedSizeMin !== null) c.push(`l.size_m2 >= ${lit(me.wantedSizeMin)}`);
  if (me.wantedRentMax !== null) c.push(`l.rent_eur <= ${lit(me.wantedRentMax)}`);
  if (me.wantedLift) c.push('l.has_lift = :yes');
  if (me.wantedBalcony) c.push('l.has_balcony = :yes');
  if (me.wantedSauna) c.push('l.has_sauna = :yes');
  return c;
}

/** Conditions under which my flat meets candidate `l`'s wishes. */
function myFlatFitsThem(me: Listing): Sql[] {
  const c: Sql[] = [
    // Written as IN (subquery) rather than a correlated EXISTS so both databases start
    // from the (district, listing_id) index instead of testing every active listing.
    'l.id IN (SELECT w.listing_id FROM listing_wanted_districts w WHERE w.district = :myDistrict)',
    `(l.wanted_rooms_min IS NULL OR l.wanted_rooms_min <= ${lit(me.rooms)})`,
    `(l.wanted_size_min IS NULL OR l.wanted_size_min <= ${lit(me.sizeM2)})`,
    `(l.wanted_rent_max IS NULL OR l.wanted_rent_max >= ${lit(me.rentEur)})`,
  ];
  if (!me.hasLift) c.push('l.wanted_lift = :no');
  if (!me.hasBalcony) c.push('l.wanted_balcony = :no');
  if (!me.hasSauna) c.push('l.wanted_sauna = :no');
  return c;
}

export function createListingService(deps: AppDeps) {
  const { db, clock, logger, rateLimits } = deps;
  const sequelize = db.sequelize;

  async function attachWantedDistricts(listings: Listing[]): Promise<void> {
    if (listings.length === 0) return;
    const rows = await ListingWantedDistrict.findAll({
      where: { listingId: listings.map((l) => l.id) },
      order: [['district', 'ASC']],
    });
    for (const l of listings) l.wantedDistricts = rows.filter((r) => r.listingId === l.id);
  }

  /** Loads the listings with these ids for cards, in the given order. */
  async function loadCards(ids: number[]): Promise<Map<number, Listing>> {
    if (ids.length === 0) return new Map();
    const rows = await Listing.findAll({ where: { id: ids }, include: [OWNER_FOR_CARDS] });
    await attachWantedDistricts(rows);
    return new Map(rows.map((l) => [l.id, l]));
  }

  function fields(input: ListingInput) {
    const { wantedDistricts: _w, ...rest } = input;
    return rest;
  }

  async function scoredList(me: Listing, where: Sql[], select: { score: Sql; fitsMe: Sql | null; fitsThem: Sql; mutual: Sql | null }, limit: number): Promise<MatchList> {
    const myDistricts = (me.wantedDistricts ?? []).map((w) => w.district);
    const replacements = {
      myDistrict: me.district, myWantedDistricts: myDistricts, myId: me.id, active: LISTING_STATUS.ACTIVE,
      yes: true, no: false, limit,
    };
    const whereSql = ['l.status = :active', 'l.id <> :myId', ...where].join('\n  AND ');
    const rows = await sequelize.query<{ id: number; score: number | string; fits_me: number | string | null; fits_them: number | string; mutual: number | string | boolean | null }>(
      `SELECT l.id AS id, ${select.score} AS score, ${select.fitsMe ?? 'NULL'} AS fits_me, ${select.fitsThem} AS fits_them,
        ${select.mutual ?? 'NULL'} AS mutual
       FROM listings l
       WHERE ${whereSql}
       ORDER BY score DESC, l.created_at DESC, l.id DESC
       LIMIT :limit`,
      { type: QueryTypes.SELECT, replacements },
    );
    // The total needs a COUNT only when the list was cut at the limit.
    let total = rows.length;
    if (rows.length >= limit) {
      const countRows = await sequelize.query<{ n: number | string }>(
        `SELECT COUNT(*) AS n FROM listings l WHERE ${whereSql}`,
        { type: QueryTypes.SELECT, replacements },
      );
      total = Number(countRows[0]?.n ?? 0);
    }
    const cards = await loadCards(rows.map((r) => Number(r.id)));
    const items: ScoredListing[] = [];
    for (const r of rows) {
      const listing = cards.get(Number(r.id));
      if (!listing) continue;
      items.push({
        listing,
        score: Number(r.score),
        fitsMe: r.fits_me === null ? null : Number(r.fits_me),
        fitsThem: Number(r.fits_them),
        mutual: r.mutual === true || Number(r.mutual) === 1,
      });
    }
    return { items, total };
  }

  async function hasReported(userId: number, listingId: number): Promise<boolean> {
    return (await Report.count({ where: { kind: 'listing', reporterId: userId, listingId } })) > 0;
  }

  return {
    /** One listing with its owner and wanted districts, or null. */
    async findById(id: number): Promise<Listing | null> {
      const listing = await Listing.findByPk(id, {
        include: [{ model: User, as: 'owner', attributes: ['id', 'username', 'phone', 'showPhone'] }],
      });
      if (listing) await attachWantedDistricts([listing]);
      return listing;
    },

    async findByOwner(userId: number): Promise<Listing | null> {
      const listing = await Listing.findOne({ where: { userId } });
      if (listing) await attachWantedDistricts([listing]);
      return listing;
    },

    /** Creates the tenant's one listing; Conflict when they already have one. */
    async create(user: User, input: ListingInput): Promise<Listing> {
      try {
        const listing = await sequelize.transaction(async (transaction) => {
          const created = await Listing.create(
            {
              ...fields(input), userId: user.id, status: LISTING_STATUS.ACTIVE, hiddenReason: null, reviewRequestedAt: null,
            },
            { transaction },
          );
          await ListingWantedDistrict.bulkCreate(
            input.wantedDistricts.map((district) => ({ listingId: created.id, district })),
            { transaction },
          );
          return created;
        });
        logger.info({ userId: user.id, listingId: listing.id }, 'listing created');
        return listing;
      } catch (err) {
        if (err instanceof UniqueConstraintError) throw Conflict('listing_exists');
        throw err;
      }
    },

    /** Saves the owner's changes. The state is left as it is: a hidden listing stays hidden. */
    async update(listing: Listing, input: ListingInput): Promise<void> {
      await sequelize.transaction(async (transaction) => {
        await listing.update(fields(input), { transaction });
        await ListingWantedDistrict.destroy({ where: { listingId: listing.id }, transaction });
        await ListingWantedDistrict.bulkCreate(
          input.wantedDistricts.map((district) => ({ listingId: listing.id, district })),
          { transaction },
        );
      });
      logger.info({ userId: listing.userId, listingId: listing.id }, 'listing updated');
    },

    async pause(listing: Listing): Promise<void> {
      await listing.update({ status: LISTING_STATUS.PAUSED });
      logger.info({ userId: listing.userId, listingId: listing.id }, 'listing paused');
    },

    async resume(listing: Listing): Promise<void> {
      await listing.update({ status: LISTING_STATUS.ACTIVE });
      logger.info({ userId: listing.userId, listingId: listing.id }, 'listing resumed');
    },

    /** Deletes the row; the foreign keys remove its wanted districts and favourites. */
    async remove(listing: Listing): Promise<void> {
      await listing.destroy();
      await db.checkpoint();
      logger.info({ userId: listing.userId, listingId: listing.id }, 'listing deleted');
    },

    /** The owner of a hidden listing asks the moderators to look at it again. */
    async requestReview(listing: Listing): Promise<void> {
      await listing.update({ reviewRequestedAt: clock() });
      logger.info({ userId: listing.userId, listingId: listing.id }, 'listing review requested');
    },

    /** Active listings matching the filters, one page of PAGE_SIZE, with the total count. */
    async search(f: SearchFilters): Promise<SearchResult> {
      const where: WhereOptions = { status: LISTING_STATUS.ACTIVE };
      const w = where as Record<string, unknown>;
      if (f.districts.length > 0) w.district = { [Op.in]: f.districts };
      const rooms: Record<symbol, number> = {};
      if (f.roomsMin !== undefined) rooms[Op.gte] = f.roomsMin;
      if (f.roomsMax !== undefined) rooms[Op.lte] = f.roomsMax;
      if (Object.getOwnPropertySymbols(rooms).length > 0) w.rooms = rooms;
      if (f.sizeMin !== undefined) w.sizeM2 = { [Op.gte]: f.sizeMin };
      if (f.rentMax !== undefined) w.rentEur = { [Op.lte]: f.rentMax };
      if (f.lift) w.hasLift = true;
      if (f.balcony) w.hasBalcony = true;
      if (f.sauna) w.hasSauna = true;

      const total = await Listing.count({ where });
      const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
      // A page past the last one shows the last page rather than an empty one.
      const page = Math.min(Math.max(1, f.page), pages);
      const listings = total === 0 ? [] : await Listing.findAll({
        where, include: [OWNER_FOR_CARDS], order: SORT_ORDER[f.sort], limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE,
      });
      await attachWantedDistricts(listings);
      return { listings, total, page, pages };
    },

    /**
     * Mutual matches for my listing: active listings (not mine) whose flat meets my
     * wishes and whose wishes my flat meets, best fit first. One query for the page and
     * one COUNT; `me` must carry its wantedDistricts (findByOwner / findById do).
     */
    async matches(me: Listing, limit = MATCH_LIMIT): Promise<MatchList> {
      const myDistricts = (me.wantedDistricts ?? []).map((w) => w.district);
      const fitsMe = fitSql(candidateFlat(), myWish(me));
      const fitsThem = fitSql(myFlat(me), candidateWish());
      return scoredList(me, [...theirFlatFitsMe(me, myDistricts), ...myFlatFitsThem(me)], {
        score: `((${fitsMe} + ${fitsThem} + 1) / 2)`, fitsMe, fitsThem, mutual: '1',
      }, limit);
    },

    /** "Who wants my home": active listings (not mine) whose wishes my flat meets. */
    async wantsMine(me: Listing, limit = MATCH_LIMIT): Promise<MatchList> {
      const myDistricts = (me.wantedDistricts ?? []).map((w) => w.district);
      const fitsThem = fitSql(myFlat(me), candidateWish());
      const mutual = `(CASE WHEN ${theirFlatFitsMe(me, myDistricts).join(' AND ')} THEN 1 ELSE 0 END)`;
      return scoredList(me, myFlatFitsThem(me), { score: fitsThem, fitsMe: null, fitsThem, mutual }, limit);
    },

    async isFavourite(userId: number, listingId: number): Promise<boolean> {
      return (await Favourite.count({ where: { userId, listingId } })) > 0;
    },

    /** Saves a listing to the tenant's favourites (saving twice is harmless). */
    async favourite(user: User, listing: Listing): Promise<void> {
      await Favourite.bulkCreate([{ userId: user.id, listingId: listing.id, createdAt: clock() }], { ignoreDuplicates: true });
    },

    async unfavourite(user: User, listingId: number): Promise<void> {
      await Favourite.destroy({ where: { userId: user.id, listingId } });
    },

    /** The tenant's saved listings that are still active, most recently saved first. */
    async favourites(userId: number): Promise<{ listings: Listing[]; total: number }> {
      const activeListing = { model: Listing, as: 'listing', required: true, where: { status: LISTING_STATUS.ACTIVE } };
      const total = await Favourite.count({ where: { userId }, include: [{ ...activeListing, attributes: [] }] });
      const rows = await Favourite.findAll({
        where: { userId },
        include: [{ ...activeListing, include: [OWNER_FOR_CARDS] }],
        order: [['createdAt', 'DESC'], ['listingId', 'DESC']],
        limit: FAVOURITES_LIMIT,
      });
      const listings = rows
        .map((r) => (r as unknown as { listing?: Listing }).listing)
        .filter((l): l is Listing => !!l);
      await attachWantedDistricts(listings);
      return { listings, total };
    },

    hasReported,

    /**
     * Files a report for the moderators, once per listing per tenant. Returns false
     * when this tenant had already reported it (nothing is stored twice).
     */
    async report(user: User, listing: Listing, reason: ReportReason, details: string): Promise<boolean> {
      if (await hasReported(user.id, listing.id)) return false;
      await rateLimits.get('report').consume(user.id);
      try {
        const report = await Report.create({
          kind: 'listing', reporterId: user.id, listingId: listing.id, conversationId: null, messageId: null,
          reason, details, handledById: null, handledAt: null, resolutionNote: null,
        });
        logger.info({ userId: user.id, listingId: listing.id, reportId: report.id }, 'listing reported');
        return true;
      } catch (err) {
        if (err instanceof UniqueConstraintError) return false;
        throw err;
      }
    },
  };
}

export type ListingService = ReturnType<typeof createListingService>;
