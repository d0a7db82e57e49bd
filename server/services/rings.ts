import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { Listing } from '../../models/listing';
import { fitScore, homesByWanter, meets, packFacts, type MatchFacts } from './fit';
import { loadActiveFacts, type EdgeChanges } from './match-graph';
import { pageOf, type Page } from './paging';

// Three-way swaps (table match_rings), built on the match graph. A ring A → B → C → A is
// three edges of match_edges: B's flat meets A's wishes (A → B), C's meets B's (B → C)
// and A's meets C's (C → A) — each tenant moves into the next one's home. Its score is
// the mean of the three fits, rounded half up. Stored once, rotated so that the smallest
// listing id comes first.
//
// The bound on the work one change may cause. Rings through a listing X are closed
// triangles X → Y → Z → X: Y from X's out-edges, Z from its in-edges, and the edge
// Y → Z. Looking at every pair would be |out| × |in| primary-key probes — at the demo
// data's density (~450 edges each way) 200,000 per change, and millions of rings. So a
// refresh of X looks at X's RING_LIMITS.edges best homes × its RING_LIMITS.edges best
// wanters (by fit, then id: at most 2,500 probes) and keeps the RING_LIMITS.keep best
// rings it finds. Why that is enough: /matches shows the best rings first, RINGS_PAGE_SIZE
// a page, and a ring's score is two-thirds X's own two edges, so the best rings through X
// are built from X's best edges; and with fewer than 50 edges each way (any realistic
// board: a wish must be met in full) the search is exact — every ring is found.
//
// What a refresh of X does, in X's transaction, right after its edges were rewritten:
// 1. deletes the rings through X that lost an edge (a member that is no longer active has
//    no edges, so its rings go at once) — only when one of X's edges went;
// 2. recomputes the score of the rings through X that remain — only when one of X's
//    fits changed;
// 3. inserts the rings its search finds that are not stored yet (created_at = now).
// Rings that do not contain X cannot change: their three edges are untouched. Rings
// through X found earlier by another member's search stay while they exist, so what is
// stored is always a set of real rings, and it holds at least each listing's own search
// from its last change (or the last rebuild).

export const RING_LIMITS = Object.freeze({ edges: 50, keep: 50 });
/** Three-way swaps a page on /matches (views/swaps/_rings.ejs): each is three home cards. */
export const RINGS_PAGE_SIZE = 10;
export interface RingLimits {
  edges: number;
  keep: number;
}

/** A ring as seen from one of its listings: [mine, the home I move into, the one who moves into mine]. */
export interface Ring {
  id: number;
  /** Rotated to start at the listing asked about: listingIds[0] → [1] → [2] → [0]. */
  listingIds: [number, number, number];
  score: number;
  createdAt: Date;
}

export interface RingRow {
  id: number | string;
  listing_a: number | string;
  listing_b: number | string;
  listing_c: number | string;
  score: number | string;
  created_at: Date | string;
}

const sequelizeOf = (): Sequelize => Listing.sequelize!;

/** Rotates a ring x → y → z → x so that its smallest id comes first. */
export function rotate(x: number, y: number, z: number): [number, number, number] {
  if (x < y && x < z) return [x, y, z];
  if (y < z) return [y, z, x];
  return [z, x, y];
}

/** The ring's listings starting from `listingId` (which must be one of them). */
export function fromViewOf(listingId: number, a: number, b: number, c: number): [number, number, number] {
  if (listingId === b) return [b, c, a];
  if (listingId === c) return [c, a, b];
  return [a, b, c];
}

export function toRing(row: RingRow, viewOf?: number): Ring {
  const a = Number(row.listing_a);
  const b = Number(row.listing_b);
  const c = Number(row.listing_c);
  return {
    id: Number(row.id),
    listingIds: viewOf === undefined ? [a, b, c] : fromViewOf(viewOf, a, b, c),
    score: Number(row.score),
    createdAt: row.created_at instanceof Date ? row.created_at : new Date(row.created_at),
  };
}

// The three edges of the ring in the row `match_rings` (alias-free columns).
const EDGE = (from: string, to: string) => `SELECT fit FROM match_edges WHERE wanter_id = ${from} AND home_id = ${to}`;
const HAS_ALL_EDGES = `EXISTS (${EDGE('listing_a', 'listing_b')}) AND EXISTS (${EDGE('listing_b', 'listing_c')}) AND EXISTS (${EDGE('listing_c', 'listing_a')})`;
const RING_SCORE = `(((${EDGE('listing_a', 'listing_b')}) + (${EDGE('listing_b', 'listing_c')}) + (${EDGE('listing_c', 'listing_a')}) + 1) / 3)`;

/**
 * Brings the rings through one listing up to date. Called by refreshListingEdges (so in
 * the same transaction as every listing change, after the edges), and so wherever the
 * match graph changes. See the top of this file for the bound on its work.
 *
 * `edges` is what that refresh just did to the listing's edges. Steps 1 and 2 only undo
 * what a change of X's own edges can do to the stored rings through X — every other
 * edge of such a ring belongs to another member, whose own refresh dealt with it — so
 * with no edge of X gone, step 1 has nothing to delete, and with no fit of X changed,
 * step 2 nothing to rescore; the result is the same as running them. Without `edges`
 * (a caller that changed the graph some other way) every step runs.
 */
export async function refreshListingRings(
  listingId: number,
  transaction: Transaction,
  opts: { now?: Date; limits?: RingLimits; edges?: EdgeChanges } = {},
): Promise<void> {
  const sequelize = sequelizeOf();
  const limits = opts.limits ?? RING_LIMITS;
  const replacements = { id: listingId, k: limits.edges, keep: limits.keep, now: opts.now ?? new Date() };
  const edges = opts.edges;
  if (edges && !edges.active) {
    // No edges left: every ring through X has lost one, and the search finds nothing.
    for (const column of ['listing_a', 'listing_b', 'listing_c']) {
      await sequelize.query(`DELETE FROM match_rings WHERE ${column} = :id`, { replacements, transaction });
    }
    return;
  }
  if (!edges || edges.removed > 0) {
    for (const column of ['listing_a', 'listing_b', 'listing_c']) {
      await sequelize.query(`DELETE FROM match_rings WHERE ${column} = :id AND NOT (${HAS_ALL_EDGES})`, {
        replacements,
        transaction,
      });
    }
  }
  const mine = 'listing_a = :id OR listing_b = :id OR listing_c = :id';
  if (!edges || edges.refitted > 0) {
    await sequelize.query(`UPDATE match_rings SET score = ${RING_SCORE} WHERE ${mine}`, { replacements, transaction });
  }
  // A ring needs an edge out of X and one into it.
  if (edges && (edges.out === 0 || edges.in === 0)) return;
  // The search: X's best homes (y) × X's best wanters (z), closed by an edge y → z.
  await sequelize.query(
    `INSERT INTO match_rings (listing_a, listing_b, listing_c, score, created_at)
     SELECT CASE WHEN :id < s.y AND :id < s.z THEN :id WHEN s.y < s.z THEN s.y ELSE s.z END,
            CASE WHEN :id < s.y AND :id < s.z THEN s.y WHEN s.y < s.z THEN s.z ELSE :id END,
            CASE WHEN :id < s.y AND :id < s.z THEN s.z WHEN s.y < s.z THEN :id ELSE s.y END,
            s.score, :now
     FROM (
       SELECT o.y AS y, i.z AS z, (o.f + e.fit + i.f + 1) / 3 AS score
       FROM (SELECT home_id AS y, fit AS f FROM match_edges WHERE wanter_id = :id ORDER BY fit DESC, home_id LIMIT :k) o
       CROSS JOIN (SELECT wanter_id AS z, fit AS f FROM match_edges WHERE home_id = :id ORDER BY fit DESC, wanter_id LIMIT :k) i
       JOIN match_edges e ON e.wanter_id = o.y AND e.home_id = i.z
       ORDER BY score DESC, o.y, i.z
       LIMIT :keep
     ) s
     WHERE 1 = 1
     ON CONFLICT (listing_a, listing_b, listing_c) DO NOTHING`,
    { replacements, transaction },
  );
}

/** Deletes every ring through these listings (account erasure, before the listings go). */
export async function deleteListingRings(listingIds: number[], transaction: Transaction): Promise<void> {
  if (listingIds.length === 0) return;
  const sequelize = sequelizeOf();
  for (const column of ['listing_a', 'listing_b', 'listing_c']) {
    await sequelize.query(`DELETE FROM match_rings WHERE ${column} IN (:listingIds)`, {
      replacements: { listingIds },
      transaction,
    });
  }
}

/**
 * The SQL for one listing's rings, best first (each position read from its own index).
 * A later page needs each position's first `offset + limit` rings (:upto), as any of them
 * may be among the rows skipped.
 */
function ringsSql(extraWhere = ''): string {
  const branch = (column: string) =>
    `SELECT * FROM (SELECT id, listing_a, listing_b, listing_c, score, created_at FROM match_rings
       WHERE ${column} = :id${extraWhere} ORDER BY score DESC, id LIMIT :upto) r_${column}`;
  return `SELECT * FROM (${branch('listing_a')} UNION ALL ${branch('listing_b')} UNION ALL ${branch('listing_c')}) r
    ORDER BY score DESC, id LIMIT :limit OFFSET :offset`;
}

// The rings a tenant marked "not interested" (swap_marks) are left out of their lists.
const NOT_HIDDEN = ` AND NOT EXISTS (SELECT 1 FROM swap_marks m
      WHERE m.user_id = :userId AND m.interested = :no AND m.listing_a = match_rings.listing_a
        AND m.listing_b = match_rings.listing_b AND m.listing_c = match_rings.listing_c)`;

/**
 * The rings through a listing, best first (then oldest first), each rotated to start at
 * that listing. `excludeHiddenBy` leaves out the rings that tenant marked "not
 * interested" (server/services/swaps.ts).
 */
export async function ringsForListing(
  listingId: number,
  opts: { limit?: number; offset?: number; excludeHiddenBy?: number; transaction?: Transaction } = {},
): Promise<Ring[]> {
  const limit = opts.limit ?? 50;
  const offset = opts.offset ?? 0;
  const hidden = opts.excludeHiddenBy === undefined ? '' : NOT_HIDDEN;
  const rows = await sequelizeOf().query<RingRow>(ringsSql(hidden), {
    type: QueryTypes.SELECT,
    replacements: { id: listingId, limit, offset, upto: offset + limit, userId: opts.excludeHiddenBy ?? 0, no: false },
    transaction: opts.transaction,
  });
  return rows.map((r) => toRing(r, listingId));
}

/**
 * One page of the rings through a listing for /matches (RINGS_PAGE_SIZE, best first),
 * counted only when the page is full or a later one is asked for (services/paging.ts).
 */
export function ringsPageForListing(
  listingId: number,
  page: number,
  opts: { excludeHiddenBy?: number; size?: number } = {},
): Promise<Page<Ring>> {
  return pageOf(
    page,
    opts.size ?? RINGS_PAGE_SIZE,
    (limit, offset) => ringsForListing(listingId, { limit, offset, excludeHiddenBy: opts.excludeHiddenBy }),
    () => countRingsForListing(listingId, { excludeHiddenBy: opts.excludeHiddenBy }),
  );
}

/** How many rings go through a listing (the count beside the list). */
export async function countRingsForListing(listingId: number, opts: { excludeHiddenBy?: number } = {}): Promise<number> {
  const hidden = opts.excludeHiddenBy === undefined ? '' : NOT_HIDDEN;
  // One statement: the three positions' counts, each from its own index.
  const count = (column: string) => `(SELECT COUNT(*) FROM match_rings WHERE ${column} = :id${hidden})`;
  const [row] = await sequelizeOf().query<{ n: number | string }>(
    `SELECT ${count('listing_a')} + ${count('listing_b')} + ${count('listing_c')} AS n`,
    { type: QueryTypes.SELECT, replacements: { id: listingId, userId: opts.excludeHiddenBy ?? 0, no: false } },
  );
  return Number(row?.n ?? 0);
}

/** One ring by its listings in stored order, or null when it does not exist (any more). */
export async function findRing(a: number, b: number, c: number, transaction?: Transaction): Promise<Ring | null> {
  const [row] = await sequelizeOf().query<RingRow>(
    `SELECT id, listing_a, listing_b, listing_c, score, created_at FROM match_rings
     WHERE listing_a = :a AND listing_b = :b AND listing_c = :c`,
    { type: QueryTypes.SELECT, replacements: { a, b, c }, transaction },
  );
  return row ? toRing(row) : null;
}

/**
 * Every ring the per-listing searches find, computed in memory from the listings (the
 * rebuild, and the tests' reference): the union over all active listings X of the best
 * `keep` rings among X's best `edges` homes × best `edges` wanters. Returned rotated,
 * as "a,b,c" → score.
 */
export function computeRings(
  listings: MatchFacts[],
  limits: RingLimits = RING_LIMITS,
): Map<string, { ids: [number, number, number]; score: number }> {
  // An edge in a top list is one number: fit × 2^32 + (2^32 − 1 − other id), so a plain
  // descending sort orders by fit, then by smaller id — the order the SQL search uses.
  const SHIFT = 2 ** 32;
  const encode = (fit: number, id: number) => fit * SHIFT + (SHIFT - 1 - id);
  const idOf = (e: number) => SHIFT - 1 - (e % SHIFT);
  const fitOf = (e: number) => Math.floor(e / SHIFT);
  const k = limits.edges;
  const topDesc = (list: number[]) => {
    list.sort((p, q) => q - p);
    if (list.length > k) list.length = k;
    return list;
  };

  // Listings by their position in `listings`, their wishes packed for fast checks (fit.ts).
  const packed = packFacts(listings);
  const indexById = new Map<number, number>();
  listings.forEach((l, i) => indexById.set(l.id, i));
  // One pass over every edge (as computeEdges finds them): each wanter's best homes, and
  // each home's best wanters, kept short by pruning whenever a list doubles the bound.
  const bestOut: (number[] | undefined)[] = new Array(listings.length);
  const bestIn: (number[] | undefined)[] = new Array(listings.length);
  for (const [w, homes] of homesByWanter(packed)) {
    const wanter = listings[w]!;
    const out: number[] = [];
    for (const h of homes) {
      const home = listings[h]!;
      const fit = fitScore(home, wanter);
      out.push(encode(fit, home.id));
      let inn = bestIn[h];
      if (!inn) bestIn[h] = inn = [];
      inn.push(encode(fit, wanter.id));
      if (inn.length >= 2 * k) topDesc(inn);
    }
    if (out.length > 0) bestOut[w] = topDesc(out);
  }

  const rings = new Map<string, { ids: [number, number, number]; score: number }>();
  const found: { y: number; z: number; score: number }[] = [];
  for (let x = 0; x < listings.length; x++) {
    const out = bestOut[x];
    const inn = bestIn[x];
    if (!out || !inn) continue;
    topDesc(inn);
    const wanters = inn.map((i) => indexById.get(idOf(i))!);
    found.length = 0;
    for (const o of out) {
      const y = indexById.get(idOf(o))!;
      for (let j = 0; j < inn.length; j++) {
        const z = wanters[j]!;
        if (z === y || !meets(packed, z, y)) continue;
        found.push({
          y: listings[y]!.id,
          z: listings[z]!.id,
          score: Math.floor((fitOf(o) + fitScore(listings[z]!, listings[y]!) + fitOf(inn[j]!) + 1) / 3),
        });
      }
    }
    found.sort((p, q) => q.score - p.score || p.y - q.y || p.z - q.z);
    for (const f of found.slice(0, limits.keep)) {
      const ids = rotate(listings[x]!.id, f.y, f.z);
      const key = `${ids[0]},${ids[1]},${ids[2]}`;
      if (!rings.has(key)) rings.set(key, { ids, score: f.score });
    }
  }
  return rings;
}

/** Rows per INSERT of the rebuild. */
const REBUILD_CHUNK = 1_000;

/**
 * Recomputes every ring from the listings (npm run matches -- --rebuild, the seeder), in
 * one transaction. Rings that still exist keep their row and created_at; the others go;
 * new ones are inserted with created_at = now. Returns the number of rings.
 */
export async function rebuildRings(sequelize: Sequelize, opts: { now?: Date; limits?: RingLimits } = {}): Promise<number> {
  const now = opts.now ?? new Date();
  const sqlite = sequelize.getDialect() === 'sqlite';
  return sequelize.transaction(async (transaction) => {
    const rings = computeRings(await loadActiveFacts(sequelize, transaction), opts.limits);
    // A large page cache for this connection while it writes (SQLite's is 2 MB): the
    // position indexes take the rows in random order.
    if (sqlite) await sequelize.query('PRAGMA cache_size = -262144', { transaction });
    await sequelize.query('DROP TABLE IF EXISTS rings_rebuild', { transaction });
    await sequelize.query(
      `CREATE TEMPORARY TABLE rings_rebuild (a INTEGER NOT NULL, b INTEGER NOT NULL, c INTEGER NOT NULL, score SMALLINT NOT NULL,
        PRIMARY KEY (a, b, c))`,
      { transaction },
    );
    let values: string[] = [];
    const flush = async () => {
      if (values.length === 0) return;
      await sequelize.query(`INSERT INTO rings_rebuild (a, b, c, score) VALUES ${values.join(',')}`, { transaction });
      values = [];
    };
    for (const { ids, score } of rings.values()) {
      values.push(`(${ids[0]},${ids[1]},${ids[2]},${score})`);
      if (values.length >= REBUILD_CHUNK) await flush();
    }
    await flush();
    const same = 't.a = match_rings.listing_a AND t.b = match_rings.listing_b AND t.c = match_rings.listing_c';
    await sequelize.query(`DELETE FROM match_rings WHERE NOT EXISTS (SELECT 1 FROM rings_rebuild t WHERE ${same})`, {
      transaction,
    });
    await sequelize.query(`UPDATE match_rings SET score = (SELECT t.score FROM rings_rebuild t WHERE ${same})`, { transaction });
    await sequelize.query(
      `INSERT INTO match_rings (listing_a, listing_b, listing_c, score, created_at)
       SELECT a, b, c, score, :now FROM rings_rebuild WHERE 1 = 1
       ON CONFLICT (listing_a, listing_b, listing_c) DO NOTHING`,
      { replacements: { now }, transaction },
    );
    await sequelize.query('DROP TABLE rings_rebuild', { transaction });
    if (sqlite) await sequelize.query('PRAGMA cache_size = -2000', { transaction });
    return rings.size;
  });
}
