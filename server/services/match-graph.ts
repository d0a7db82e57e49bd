import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { withBulkSqliteWriter } from '../../models/bulk-writer';
import { LISTING_STATUS, Listing } from '../../models/listing';
import { ListingWantedDistrict } from '../../models/listing-wanted-district';
import {
  candidateFlat,
  candidateWish,
  fitScore,
  homesByWanter,
  packFacts,
  fitSql,
  myFlat,
  myFlatFitsThem,
  myWish,
  theirFlatFitsMe,
  type MatchFacts,
} from './fit';
import { refreshListingRings } from './rings';

// The match graph (table match_edges): a directed edge wanter → home for every pair of
// active listings where the home's flat meets all of the wanter's wishes, with that
// direction's fit score. Pages read it instead of scoring thousands of listings per view:
//
// - mutual matches of X: edges X → Y whose reverse Y → X exists (one primary-key probe each);
// - "who wants my home" of X: edges Y → X, from the (home_id, fit) index;
// - three-way swaps: rings X → Y → Z → X over the same edges (match_rings, rings.ts).
//
// Every change of a listing that can change its edges (created, edited, paused, resumed,
// hidden, restored, removed, its owner suspended) calls refreshListingEdges inside the
// same transaction, so the graph never disagrees with the listings a reader can see.
// Deleting a listing needs nothing: both foreign keys cascade.

const replacementsFor = (me: Listing) => ({
  id: me.id,
  myDistrict: me.district,
  myWantedDistricts: (me.wantedDistricts ?? []).map((w) => w.district),
  active: LISTING_STATUS.ACTIVE,
  yes: true,
  no: false,
});

/** What a refresh did to one listing's edges (both directions), for the ring refresh. */
export interface EdgeChanges {
  /** The listing is active. When it is not, it has no edges left and nothing is counted. */
  active: boolean;
  added: number;
  removed: number;
  /** Edges that stayed but whose fit changed. */
  refitted: number;
  /** Its edges after the refresh, each way. */
  out: number;
  in: number;
}

/**
 * Brings every edge of one listing up to date: none when it is not active, else the edges
 * to the active listings whose flat meets its wishes and from those whose wishes its flat
 * meets (each one query that starts from a district index).
 */
export async function refreshListingEdges(
  sequelize: Sequelize,
  listingId: number,
  transaction: Transaction,
): Promise<EdgeChanges> {
  const changes = await rewriteEdges(sequelize, listingId, transaction);
  // The rings through the listing follow its edges, in the same transaction; what
  // changed tells it which of its steps can have anything to do.
  await refreshListingRings(listingId, transaction, { edges: changes });
  return changes;
}

/** Rows per statement when edges are written (as the rebuild, REBUILD_CHUNK below). */
const WRITE_CHUNK = 1_000;

/** An id or fit read from the database, checked before it is written into SQL. */
function int(v: unknown): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new Error('match graph: expected an integer');
  return n;
}

async function rewriteEdges(sequelize: Sequelize, listingId: number, transaction: Transaction): Promise<EdgeChanges> {
  const me = await Listing.findByPk(listingId, { transaction });
  if (!me || me.status !== LISTING_STATUS.ACTIVE) {
    // Pausing, hiding and the like take every edge.
    await sequelize.query('DELETE FROM match_edges WHERE wanter_id = :id', { replacements: { id: listingId }, transaction });
    await sequelize.query('DELETE FROM match_edges WHERE home_id = :id', { replacements: { id: listingId }, transaction });
    return { active: false, added: 0, removed: 0, refitted: 0, out: 0, in: 0 };
  }
  me.wantedDistricts = await ListingWantedDistrict.findAll({ where: { listingId }, transaction });
  const replacements = replacementsFor(me);
  const others = 'l.status = :active AND l.id <> :id';
  const out = theirFlatFitsMe(me, replacements.myWantedDistricts);
  // An edit usually changes a few fits and few or no edges (a rent one euro up changes
  // one in-fit in ~17 and removes the edges of those whose maximum it now passes), so the
  // new edges are computed, compared with the stored ones, and only the difference is
  // written: far fewer index entries and pages to rewrite and commit than deleting and
  // re-inserting all of them (~900 at the demo data's density).
  // dir 0: I want their home (me → l); dir 1: they want mine (l → me). With no wanted
  // district nothing can fit this listing's wishes (the rule says '1 = 0').
  const fresh = await sequelize.query<{ dir: number; other: number; fit: number }>(
    [
      replacements.myWantedDistricts.length > 0
        ? `SELECT 0 AS dir, l.id AS other, ${fitSql(candidateFlat(), myWish(me))} AS fit
           FROM listings l WHERE ${others} AND ${out.join(' AND ')}`
        : null,
      `SELECT 1 AS dir, l.id AS other, ${fitSql(myFlat(me), candidateWish())} AS fit
       FROM listings l WHERE ${others} AND ${myFlatFitsThem(me).join(' AND ')}`,
    ]
      .filter((q) => q !== null)
      .join(' UNION ALL '),
    { type: QueryTypes.SELECT, replacements, transaction },
  );
  const stored = await sequelize.query<{ dir: number; other: number; fit: number }>(
    `SELECT 0 AS dir, home_id AS other, fit FROM match_edges WHERE wanter_id = :id
     UNION ALL SELECT 1 AS dir, wanter_id AS other, fit FROM match_edges WHERE home_id = :id`,
    { type: QueryTypes.SELECT, replacements: { id: listingId }, transaction },
  );
  // "dir:other" → fit, for the stored edges; what is left after the walk is gone.
  const before = new Map<string, number>();
  for (const e of stored) before.set(`${Number(e.dir)}:${int(e.other)}`, int(e.fit));
  const write: string[] = []; // (wanter, home, fit) rows to insert or update
  const changes: EdgeChanges = { active: true, added: 0, removed: 0, refitted: 0, out: 0, in: 0 };
  for (const e of fresh) {
    const dir = Number(e.dir);
    const other = int(e.other);
    const fit = int(e.fit);
    if (dir === 0) changes.out += 1;
    else changes.in += 1;
    const key = `${dir}:${other}`;
    const old = before.get(key);
    before.delete(key);
    if (old === fit) continue;
    if (old === undefined) changes.added += 1;
    else changes.refitted += 1;
    write.push(dir === 0 ? `(${listingId},${other},${fit})` : `(${other},${listingId},${fit})`);
  }
  const gone: [number[], number[]] = [[], []];
  for (const key of before.keys()) {
    const [dir, other] = key.split(':');
    gone[Number(dir)]!.push(Number(other));
  }
  changes.removed = gone[0].length + gone[1].length;
  for (let i = 0; i < gone[0].length; i += WRITE_CHUNK) {
    await sequelize.query('DELETE FROM match_edges WHERE wanter_id = :id AND home_id IN (:others)', {
      replacements: { id: listingId, others: gone[0].slice(i, i + WRITE_CHUNK) },
      transaction,
    });
  }
  for (let i = 0; i < gone[1].length; i += WRITE_CHUNK) {
    await sequelize.query('DELETE FROM match_edges WHERE home_id = :id AND wanter_id IN (:others)', {
      replacements: { id: listingId, others: gone[1].slice(i, i + WRITE_CHUNK) },
      transaction,
    });
  }
  // New edges and changed fits in one statement per chunk, on both databases: the
  // primary key (wanter_id, home_id) is the conflict target.
  for (let i = 0; i < write.length; i += WRITE_CHUNK) {
    await sequelize.query(
      `INSERT INTO match_edges (wanter_id, home_id, fit) VALUES ${write.slice(i, i + WRITE_CHUNK).join(',')}
       ON CONFLICT (wanter_id, home_id) DO UPDATE SET fit = excluded.fit`,
      { transaction },
    );
  }
  return changes;
}

/** Refreshes the edges of every listing of one tenant (a suspension pauses them all). */
export async function refreshOwnerEdges(sequelize: Sequelize, userId: number, transaction: Transaction): Promise<void> {
  const listings = await Listing.findAll({ where: { userId }, attributes: ['id'], transaction });
  for (const l of listings) await refreshListingEdges(sequelize, l.id, transaction);
}

const ACTIVE_FACTS_SQL = `SELECT id, district, rooms, size_m2, rent_eur, has_lift, has_balcony, has_sauna, wanted_rooms_min,
     wanted_size_min, wanted_rent_max, wanted_lift, wanted_balcony, wanted_sauna
   FROM listings WHERE status = :active ORDER BY id`;
const ACTIVE_WANTED_SQL = `SELECT w.listing_id, w.district FROM listing_wanted_districts w
   JOIN listings l ON l.id = w.listing_id WHERE l.status = :active`;

/** Active listings with what the rules read, for the in-memory rebuild. */
export async function loadActiveFacts(sequelize: Sequelize, transaction: Transaction): Promise<MatchFacts[]> {
  const replacements = { active: LISTING_STATUS.ACTIVE };
  const rows = await sequelize.query<Record<string, unknown>>(ACTIVE_FACTS_SQL, {
    type: QueryTypes.SELECT,
    replacements,
    transaction,
  });
  const wanted = await sequelize.query<{ listing_id: number; district: string }>(ACTIVE_WANTED_SQL, {
    type: QueryTypes.SELECT,
    replacements,
    transaction,
  });
  return toFacts(rows, wanted);
}

function toFacts(rows: Record<string, unknown>[], wanted: { listing_id: number; district: string }[]): MatchFacts[] {
  const wantedBy = new Map<number, Set<string>>();
  for (const w of wanted) {
    const id = Number(w.listing_id);
    let set = wantedBy.get(id);
    if (!set) wantedBy.set(id, (set = new Set()));
    set.add(w.district);
  }
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const flag = (v: unknown) => v === true || Number(v) === 1;
  return rows.map((r) => ({
    id: Number(r.id),
    district: String(r.district),
    rooms: Number(r.rooms),
    sizeM2: Number(r.size_m2),
    rentEur: Number(r.rent_eur),
    hasLift: flag(r.has_lift),
    hasBalcony: flag(r.has_balcony),
    hasSauna: flag(r.has_sauna),
    wantedDistricts: wantedBy.get(Number(r.id)) ?? new Set<string>(),
    wantedRoomsMin: num(r.wanted_rooms_min),
    wantedSizeMin: num(r.wanted_size_min),
    wantedRentMax: num(r.wanted_rent_max),
    wantedLift: flag(r.wanted_lift),
    wantedBalcony: flag(r.wanted_balcony),
    wantedSauna: flag(r.wanted_sauna),
  }));
}

/** Every edge of the given active listings, in (wanter, home) order, scored in memory. */
export function* computeEdges(listings: MatchFacts[]): Generator<[wanter: number, home: number, fit: number]> {
  for (const [w, homes] of homesByWanter(packFacts(listings))) {
    homes.sort((a, b) => listings[a]!.id - listings[b]!.id);
    const wanter = listings[w]!;
    for (const h of homes) yield [wanter.id, listings[h]!.id, fitScore(listings[h]!, wanter)];
  }
}

/** Rows per INSERT of the rebuild: SQLite parses shorter VALUES lists faster per row (measured: 500 rows ~30 % faster than 20,000). */
const REBUILD_CHUNK = 1_000;
/** Rows per INSERT of the PostgreSQL rebuild (three arrays of this length). */
const PG_CHUNK = 20_000;
/** Rows per run of the SQLite rebuild's prepared INSERT (3 parameters each, far below SQLite's 32,766). */
const PREPARED_ROWS = 500;

const insertEdgesSql = (rows: number) =>
  `INSERT INTO match_edges (wanter_id, home_id, fit) VALUES ${'(?,?,?),'.repeat(rows - 1)}(?,?,?)`;

/**
 * Recomputes the whole graph from the listings, in one transaction (readers see the old
 * graph until it commits). Scoring runs in memory — one pass over each wanted district's
 * listings — because a single SQL join over all pairs is much slower on SQLite; the rules
 * are the same functions the per-listing refresh mirrors in SQL. Returns the edge count.
 */
export async function rebuildMatchGraph(sequelize: Sequelize): Promise<number> {
  const fast = await withBulkSqliteWriter(sequelize, async (w) => {
    await w.run('DELETE FROM match_edges');
    // One sort at the end builds the "edges into a listing" index far faster than
    // millions of inserts in random order; the rows themselves arrive in key order.
    await w.run('DROP INDEX match_edges_home_fit');
    const active = [LISTING_STATUS.ACTIVE];
    const listings = toFacts(
      await w.all<Record<string, unknown>>(ACTIVE_FACTS_SQL.replace(':active', '?'), active),
      await w.all<{ listing_id: number; district: string }>(ACTIVE_WANTED_SQL.replace(':active', '?'), active),
    );
    const insert = await w.prepare(insertEdgesSql(PREPARED_ROWS));
    let count = 0;
    let params: number[] = [];
    for (const [wanter, home, fit] of computeEdges(listings)) {
      params.push(wanter, home, fit);
      count += 1;
      if (params.length === PREPARED_ROWS * 3) {
        await insert.run(params);
        params = [];
      }
    }
    await insert.finalize();
    if (params.length > 0) await w.run(insertEdgesSql(params.length / 3), params);
    await w.run('CREATE INDEX match_edges_home_fit ON match_edges (home_id, fit)');
    return count;
  });
  if (fast !== null) return fast;

  const sqlite = sequelize.getDialect() === 'sqlite';
  return sequelize.transaction(async (transaction) => {
    await sequelize.query('DELETE FROM match_edges', { transaction });
    await sequelize.query('DROP INDEX match_edges_home_fit', { transaction });
    if (sqlite) await sequelize.query('PRAGMA cache_size = -262144', { transaction });
    const listings = await loadActiveFacts(sequelize, transaction);
    let count = 0;
    // PostgreSQL takes a chunk as three arrays (unnest): one short statement with three
    // parameters instead of SQL text with thousands of tuples to parse (1.3–2× faster for
    // a million rows, measured under load). SQLite here is only an in-memory database
    // (a file goes through the bulk writer above), written as VALUES text.
    const chunk = sqlite ? REBUILD_CHUNK : PG_CHUNK;
    let wanters: number[] = [];
    let homes: number[] = [];
    let fits: number[] = [];
    const flush = async () => {
      if (wanters.length === 0) return;
      if (sqlite) {
        const values = wanters.map((w, i) => `(${w},${homes[i]},${fits[i]})`).join(',');
        await sequelize.query(`INSERT INTO match_edges (wanter_id, home_id, fit) VALUES ${values}`, { transaction });
      } else {
        await sequelize.query(
          'INSERT INTO match_edges (wanter_id, home_id, fit) SELECT * FROM unnest($1::int[], $2::int[], $3::smallint[])',
          { bind: [wanters, homes, fits], transaction },
        );
      }
      wanters = [];
      homes = [];
      fits = [];
    };
    for (const [wanter, home, fit] of computeEdges(listings)) {
      wanters.push(wanter);
      homes.push(home);
      fits.push(fit);
      count += 1;
      if (wanters.length >= chunk) await flush();
    }
    await flush();
    await sequelize.query('CREATE INDEX match_edges_home_fit ON match_edges (home_id, fit)', { transaction });
    if (sqlite) await sequelize.query('PRAGMA cache_size = -2000', { transaction });
    return count;
  });
}
