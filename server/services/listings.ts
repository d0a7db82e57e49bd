import { Op, QueryTypes, UniqueConstraintError, type Order, type Transaction, type WhereOptions } from 'sequelize';
import { Favourite } from '../../models/favourite';
import { LISTING_STATUS, Listing, type BuildingType } from '../../models/listing';
import { ListingWantedDistrict } from '../../models/listing-wanted-district';
import { Report, type ReportReason } from '../../models/report';
import { User } from '../../models/user';
import type { AppDeps } from '../context';
import { Conflict } from '../errors';
import { candidateFlat, candidateWish, fitSql, myFlat, myFlatFitsThem, myWish, theirFlatFitsMe, type Sql } from './fit';
import { refreshListingEdges } from './match-graph';
import { pageOf, type Page } from './paging';
import { createPhotoService } from './photos';

// Listings (docs/product.md#listings, #search, #matching-and-headroom): a tenant's one listing, search, mutual matching, favourites and
// listing reports. Everything that lists listings is a database query with LIMIT and a
// COUNT on the indexed columns (status + district / created_at / rent / size, and
// listing_wanted_districts (district, listing_id)), so it stays fast with 50,000 rows.

export const PAGE_SIZE = 20;
/** At most this many matches (or "who wants my home") are read by `matches` / `wantsMine`. */
export const MATCH_LIMIT = 50;
/**
 * The pages of /matches (views/listings/matches.ejs): mutual matches and "who wants my
 * home", best first, this many cards a page; the page links lead to the rest.
 */
export const MATCHES_PAGE_SIZE = 20;
export const WANTS_PAGE_SIZE = 20;
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

/** One page of a list on /matches: `page` is the one shown (a page past the last shows the last). */
export interface MatchPage extends MatchList {
  page: number;
  pages: number;
}

/** Which page of each list on /matches to read. */
export interface MatchPages {
  mutualPage?: number;
  wantsPage?: number;
  /** Leaves out of the mutual list the pairs this tenant marked "not interested". */
  hiddenBy?: number;
}

const SORT_ORDER: Record<SearchSort, Order> = {
  newest: [
    ['createdAt', 'DESC'],
    ['id', 'DESC'],
  ],
  rent: [
    ['rentEur', 'ASC'],
    ['id', 'ASC'],
  ],
  size: [
    ['sizeM2', 'DESC'],
    ['id', 'DESC'],
  ],
};

const OWNER_FOR_CARDS = { model: User, as: 'owner', attributes: ['id', 'username'] };

export function createListingService(deps: AppDeps) {
  const { db, clock, logger, rateLimits } = deps;
  const sequelize = db.sequelize;
  const photoService = createPhotoService(deps);

  /** Loads what cards and pages show with a listing: its wanted districts and its photos (without their bytes). */
  async function attachWantedDistricts(listings: Listing[]): Promise<void> {
    if (listings.length === 0) return;
    const [rows, photos] = await Promise.all([
      ListingWantedDistrict.findAll({
        where: { listingId: listings.map((l) => l.id) },
        order: [['district', 'ASC']],
      }),
      photoService.forListings(listings.map((l) => l.id)),
    ]);
    for (const l of listings) {
      l.wantedDistricts = rows.filter((r) => r.listingId === l.id);
      l.photos = photos.get(l.id) ?? [];
    }
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

  interface MatchRow {
    id: number | string;
    score: number | string;
    fits_me: number | string | null;
    fits_them: number | string;
    mutual: number | string | boolean | null;
  }

  async function toMatchList(rows: MatchRow[], total: number, loaded?: Map<number, Listing>): Promise<MatchList> {
    const cards = loaded ?? (await loadCards(rows.map((r) => Number(r.id))));
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

  /**
   * Scores the candidates in the query itself. Used for a listing that is not active (it
   * has no edges in the match graph, yet its owner still sees what would match) and by
   * the tests as the reference the graph must agree with.
   */
  function scoredRows(
    me: Listing,
    where: Sql[],
    select: { score: Sql; fitsMe: Sql | null; fitsThem: Sql; mutual: Sql | null },
    page: number,
    size: number,
  ): Promise<Page<MatchRow>> {
    const myDistricts = (me.wantedDistricts ?? []).map((w) => w.district);
    const replacements = {
      myDistrict: me.district,
      myWantedDistricts: myDistricts,
      myId: me.id,
      active: LISTING_STATUS.ACTIVE,
      yes: true,
      no: false,
    };
    const whereSql = ['l.status = :active', 'l.id <> :myId', ...where].join('\n  AND ');
    return pageOf(
      page,
      size,
      (limit, offset) =>
        sequelize.query<MatchRow>(
          `SELECT l.id AS id, ${select.score} AS score, ${select.fitsMe ?? 'NULL'} AS fits_me, ${select.fitsThem} AS fits_them,
            ${select.mutual ?? 'NULL'} AS mutual
           FROM listings l
           WHERE ${whereSql}
           ORDER BY score DESC, l.created_at DESC, l.id DESC
           LIMIT :limit OFFSET :offset`,
          { type: QueryTypes.SELECT, replacements: { ...replacements, limit, offset } },
        ),
      () => countOf(`SELECT COUNT(*) AS n FROM listings l WHERE ${whereSql}`, replacements),
    );
  }

  function liveMatchRows(me: Listing, page: number, size: number): Promise<Page<MatchRow>> {
    const myDistricts = (me.wantedDistricts ?? []).map((w) => w.district);
    const fitsMe = fitSql(candidateFlat(), myWish(me));
    const fitsThem = fitSql(myFlat(me), candidateWish());
    return scoredRows(
      me,
      [...theirFlatFitsMe(me, myDistricts), ...myFlatFitsThem(me)],
      {
        score: `((${fitsMe} + ${fitsThem} + 1) / 2)`,
        fitsMe,
        fitsThem,
        mutual: '1',
      },
      page,
      size,
    );
  }

  function liveWantsRows(me: Listing, page: number, size: number): Promise<Page<MatchRow>> {
    const myDistricts = (me.wantedDistricts ?? []).map((w) => w.district);
    const fitsThem = fitSql(myFlat(me), candidateWish());
    const mutual = `(CASE WHEN ${theirFlatFitsMe(me, myDistricts).join(' AND ')} THEN 1 ELSE 0 END)`;
    return scoredRows(me, myFlatFitsThem(me), { score: fitsThem, fitsMe: null, fitsThem, mutual }, page, size);
  }

  async function liveMatches(me: Listing, limit: number): Promise<MatchList> {
    const { rows, total } = await liveMatchRows(me, 1, limit);
    return toMatchList(rows, total);
  }

  async function liveWantsMine(me: Listing, limit: number): Promise<MatchList> {
    const { rows, total } = await liveWantsRows(me, 1, limit);
    return toMatchList(rows, total);
  }

  /** The n of a `SELECT COUNT(*) AS n` statement. */
  async function countOf(sql: string, replacements: Record<string, unknown>): Promise<number> {
    const [row] = await sequelize.query<{ n: number | string }>(sql, { type: QueryTypes.SELECT, replacements });
    return Number(row?.n ?? 0);
  }

  // The pairs a tenant marked "not interested" (swap_marks) leave their mutual list.
  const NOT_HIDDEN = `NOT EXISTS (SELECT 1 FROM swap_marks m WHERE m.user_id = :hiddenBy AND m.interested = :no
      AND m.listing_c IS NULL AND m.listing_a = (CASE WHEN o.wanter_id < o.home_id THEN o.wanter_id ELSE o.home_id END)
      AND m.listing_b = (CASE WHEN o.wanter_id < o.home_id THEN o.home_id ELSE o.wanter_id END))`;

  /** My outgoing edges whose reverse edge exists: the mutual matches, one page. */
  function mutualRows(id: number, page: number, size: number, hiddenBy?: number): Promise<Page<MatchRow>> {
    const hidden = hiddenBy === undefined ? '' : ` AND ${NOT_HIDDEN}`;
    const replacements = { id, hiddenBy: hiddenBy ?? 0, no: false };
    return pageOf(
      page,
      size,
      (limit, offset) =>
        sequelize.query<MatchRow>(
          `SELECT o.home_id AS id, ((o.fit + i.fit + 1) / 2) AS score, o.fit AS fits_me, i.fit AS fits_them, 1 AS mutual
           FROM match_edges o
           JOIN match_edges i ON i.wanter_id = o.home_id AND i.home_id = o.wanter_id
           JOIN listings l ON l.id = o.home_id
           WHERE o.wanter_id = :id${hidden}
           ORDER BY score DESC, l.created_at DESC, l.id DESC
           LIMIT :limit OFFSET :offset`,
          { type: QueryTypes.SELECT, replacements: { ...replacements, limit, offset } },
        ),
      () =>
        countOf(
          `SELECT COUNT(*) AS n FROM match_edges o
           JOIN match_edges i ON i.wanter_id = o.home_id AND i.home_id = o.wanter_id WHERE o.wanter_id = :id${hidden}`,
          replacements,
        ),
    );
  }

  /** The edges into my listing, best fit first: who wants my home, one page. */
  function wantsMineRows(id: number, page: number, size: number): Promise<Page<MatchRow>> {
    return pageOf(
      page,
      size,
      (limit, offset) =>
        sequelize.query<MatchRow>(
          `SELECT e.wanter_id AS id, e.fit AS score, NULL AS fits_me, e.fit AS fits_them,
             (CASE WHEN EXISTS (SELECT 1 FROM match_edges r WHERE r.wanter_id = :id AND r.home_id = e.wanter_id) THEN 1 ELSE 0 END) AS mutual
           FROM match_edges e
           JOIN listings l ON l.id = e.wanter_id
           WHERE e.home_id = :id
           ORDER BY e.fit DESC, l.created_at DESC, l.id DESC
           LIMIT :limit OFFSET :offset`,
          { type: QueryTypes.SELECT, replacements: { id, limit, offset } },
        ),
      () => countOf('SELECT COUNT(*) AS n FROM match_edges WHERE home_id = :id', { id }),
    );
  }

  async function inTransaction<T>(fn: (t: Transaction) => Promise<T>): Promise<T> {
    return sequelize.transaction(fn);
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
    async create(
      user: User,
      input: ListingInput,
      alsoSave?: (listing: Listing, t: Transaction) => Promise<void>,
    ): Promise<Listing> {
      try {
        const listing = await sequelize.transaction(async (transaction) => {
          const created = await Listing.create(
            {
              ...fields(input),
              userId: user.id,
              status: LISTING_STATUS.ACTIVE,
              hiddenReason: null,
              reviewRequestedAt: null,
            },
            { transaction },
          );
          await ListingWantedDistrict.bulkCreate(
            input.wantedDistricts.map((district) => ({ listingId: created.id, district })),
            { transaction },
          );
          await refreshListingEdges(sequelize, created.id, transaction);
          // The photos sent with the form are stored with the listing or not at all.
          if (alsoSave) await alsoSave(created, transaction);
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
    async update(
      listing: Listing,
      input: ListingInput,
      alsoSave?: (listing: Listing, t: Transaction) => Promise<void>,
    ): Promise<void> {
      await sequelize.transaction(async (transaction) => {
        await listing.update(fields(input), { transaction });
        await ListingWantedDistrict.destroy({ where: { listingId: listing.id }, transaction });
        await ListingWantedDistrict.bulkCreate(
          input.wantedDistricts.map((district) => ({ listingId: listing.id, district })),
          { transaction },
        );
        await refreshListingEdges(sequelize, listing.id, transaction);
        if (alsoSave) await alsoSave(listing, transaction);
      });
      logger.info({ userId: listing.userId, listingId: listing.id }, 'listing updated');
    },

    async pause(listing: Listing): Promise<void> {
      await inTransaction(async (transaction) => {
        await listing.update({ status: LISTING_STATUS.PAUSED }, { transaction });
        await refreshListingEdges(sequelize, listing.id, transaction);
      });
      logger.info({ userId: listing.userId, listingId: listing.id }, 'listing paused');
    },

    async resume(listing: Listing): Promise<void> {
      await inTransaction(async (transaction) => {
        await listing.update({ status: LISTING_STATUS.ACTIVE }, { transaction });
        await refreshListingEdges(sequelize, listing.id, transaction);
      });
      logger.info({ userId: listing.userId, listingId: listing.id }, 'listing resumed');
    },

    /** Deletes the row; the foreign keys remove its wanted districts, favourites and match edges. */
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
      const listings =
        total === 0
          ? []
          : await Listing.findAll({
              where,
              include: [OWNER_FOR_CARDS],
              order: SORT_ORDER[f.sort],
              limit: PAGE_SIZE,
              offset: (page - 1) * PAGE_SIZE,
            });
      await attachWantedDistricts(listings);
      return { listings, total, page, pages };
    },

    /**
     * Mutual matches for my listing: active listings (not mine) whose flat meets my
     * wishes and whose wishes my flat meets, best fit first (then newest). Read from the
     * match graph; `me` must carry its wantedDistricts (findByOwner / findById do) for
     * the not-active case, which is scored live.
     */
    async matches(me: Listing, limit = MATCH_LIMIT): Promise<MatchList> {
      if (me.status !== LISTING_STATUS.ACTIVE) return liveMatches(me, limit);
      const { rows, total } = await mutualRows(me.id, 1, limit);
      return toMatchList(rows, total);
    },

    /** "Who wants my home": active listings (not mine) whose wishes my flat meets — the edges into mine. */
    async wantsMine(me: Listing, limit = MATCH_LIMIT): Promise<MatchList> {
      if (me.status !== LISTING_STATUS.ACTIVE) return liveWantsMine(me, limit);
      const { rows, total } = await wantsMineRows(me.id, 1, limit);
      return toMatchList(rows, total);
    },

    /**
     * One page of each list of the matches page (MATCHES_PAGE_SIZE, WANTS_PAGE_SIZE), with
     * the cards of both loaded together — and those of `alsoCards` (the homes of the
     * three-way swaps shown beside them, which may still be being read), returned in
     * `cards`: one query for the listings, one for their wanted districts and one for
     * their photos, whatever is on the page.
     */
    async matchLists(
      me: Listing,
      pages: MatchPages = {},
      alsoCards: number[] | Promise<number[]> = [],
    ): Promise<{ matches: MatchPage; wantsMine: MatchPage; cards: Map<number, Listing> }> {
      const active = me.status === LISTING_STATUS.ACTIVE;
      const mutualPage = pages.mutualPage ?? 1;
      const wantsPage = pages.wantsPage ?? 1;
      const [mutual, wants, also] = await Promise.all([
        active
          ? mutualRows(me.id, mutualPage, MATCHES_PAGE_SIZE, pages.hiddenBy)
          : liveMatchRows(me, mutualPage, MATCHES_PAGE_SIZE),
        active ? wantsMineRows(me.id, wantsPage, WANTS_PAGE_SIZE) : liveWantsRows(me, wantsPage, WANTS_PAGE_SIZE),
        alsoCards,
      ]);
      const cards = await loadCards([...new Set([...[...mutual.rows, ...wants.rows].map((r) => Number(r.id)), ...also])]);
      const pageOfList = async (p: Page<MatchRow>): Promise<MatchPage> => ({
        ...(await toMatchList(p.rows, p.total, cards)),
        page: p.page,
        pages: p.pages,
      });
      return { matches: await pageOfList(mutual), wantsMine: await pageOfList(wants), cards };
    },

    /** Listings with owner and wanted districts for cards, by id (three-way swaps). */
    cards: loadCards,

    /** The same lists scored live from the listings, bypassing the graph (the tests' reference). */
    liveMatches,
    liveWantsMine,

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
        order: [
          ['createdAt', 'DESC'],
          ['listingId', 'DESC'],
        ],
        limit: FAVOURITES_LIMIT,
      });
      const listings = rows.map((r) => (r as unknown as { listing?: Listing }).listing).filter((l): l is Listing => !!l);
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
          kind: 'listing',
          reporterId: user.id,
          listingId: listing.id,
          conversationId: null,
          messageId: null,
          reason,
          details,
          handledById: null,
          handledAt: null,
          resolutionNote: null,
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
