import type { Listing } from '../../models/listing';

// The matching rules, in one place: when a flat meets a set of wishes, and how well.
// Written twice on purpose — as SQL (the match graph computes one listing's edges in the
// database, inside the transaction that changed it) and as plain TypeScript (the full
// rebuild scores every pair in memory, far faster than one huge join) — and a test holds
// the two to the same answers over random listings (test/unit/match-graph.test.ts).

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

export type Sql = string;
interface FlatSql {
  rooms: Sql;
  size: Sql;
  rent: Sql;
  extras: Sql;
}
interface WishSql {
  roomsMin: Sql;
  sizeMin: Sql;
  rentMax: Sql;
}

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

export function fitSql(flat: FlatSql, wish: WishSql): Sql {
  return (
    `(${FIT.base}` +
    ` + ${headroom(`${flat.rooms} - ${wish.roomsMin}`, wish.roomsMin, FIT.rooms)}` +
    ` + ${headroom(`${flat.size} - ${wish.sizeMin}`, wish.sizeMin, FIT.size)}` +
    ` + ${headroom(`${wish.rentMax} - ${flat.rent}`, wish.rentMax, FIT.rent)}` +
    ` + ${flat.extras})`
  );
}

const extrasPoints = (n: number) => Math.floor((n * FIT.extras) / 3);

export function candidateFlat(): FlatSql {
  return {
    rooms: 'l.rooms',
    size: 'l.size_m2',
    rent: 'l.rent_eur',
    extras: `(((${flagSql('l.has_lift')} + ${flagSql('l.has_balcony')} + ${flagSql('l.has_sauna')}) * ${FIT.extras}) / 3)`,
  };
}
export function candidateWish(): WishSql {
  return { roomsMin: 'l.wanted_rooms_min', sizeMin: 'l.wanted_size_min', rentMax: 'l.wanted_rent_max' };
}
export function myFlat(me: Listing): FlatSql {
  return {
    rooms: lit(me.rooms),
    size: lit(me.sizeM2),
    rent: lit(me.rentEur),
    extras: lit(extrasPoints(Number(me.hasLift) + Number(me.hasBalcony) + Number(me.hasSauna))),
  };
}
export function myWish(me: Listing): WishSql {
  return { roomsMin: lit(me.wantedRoomsMin), sizeMin: lit(me.wantedSizeMin), rentMax: lit(me.wantedRentMax) };
}

/** Conditions under which candidate `l`'s flat meets my wishes. */
export function theirFlatFitsMe(me: Listing, myDistricts: string[]): Sql[] {
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
export function myFlatFitsThem(me: Listing): Sql[] {
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

/** The parts of a listing the rules read, as plain numbers (for the in-memory rebuild). */
export interface MatchFacts {
  id: number;
  district: string;
  rooms: number;
  sizeM2: number;
  rentEur: number;
  hasLift: boolean;
  hasBalcony: boolean;
  hasSauna: boolean;
  wantedDistricts: ReadonlySet<string>;
  wantedRoomsMin: number | null;
  wantedSizeMin: number | null;
  wantedRentMax: number | null;
  wantedLift: boolean;
  wantedBalcony: boolean;
  wantedSauna: boolean;
}

/** True when `home`'s flat meets every wish of `wanter` (the same rule as theirFlatFitsMe). */
export function flatMeetsWishes(home: MatchFacts, wanter: MatchFacts): boolean {
  return (
    wanter.wantedDistricts.has(home.district) &&
    (wanter.wantedRoomsMin === null || home.rooms >= wanter.wantedRoomsMin) &&
    (wanter.wantedSizeMin === null || home.sizeM2 >= wanter.wantedSizeMin) &&
    (wanter.wantedRentMax === null || home.rentEur <= wanter.wantedRentMax) &&
    (!wanter.wantedLift || home.hasLift) &&
    (!wanter.wantedBalcony || home.hasBalcony) &&
    (!wanter.wantedSauna || home.hasSauna)
  );
}

function headroomPoints(room: number, wish: number | null, { points, cap }: { points: number; cap: number }): number {
  if (wish === null || room >= cap) return points;
  return Math.floor((room * points) / cap);
}

/** How well `home`'s flat fits `wanter`'s wishes, 40–100 (the same formula as fitSql). */
export function fitScore(home: MatchFacts, wanter: MatchFacts): number {
  return (
    FIT.base +
    headroomPoints(home.rooms - (wanter.wantedRoomsMin ?? 0), wanter.wantedRoomsMin, FIT.rooms) +
    headroomPoints(home.sizeM2 - (wanter.wantedSizeMin ?? 0), wanter.wantedSizeMin, FIT.size) +
    headroomPoints((wanter.wantedRentMax ?? 0) - home.rentEur, wanter.wantedRentMax, FIT.rent) +
    extrasPoints(Number(home.hasLift) + Number(home.hasBalcony) + Number(home.hasSauna))
  );
}

/* ------------------------------------------------------------------------------------
 * The same wish check over many listings at once (the full rebuilds of the graph and
 * the rings test hundreds of millions of pairs at 100,000 tenants): the facts packed
 * into typed arrays, districts as small integers and wanted districts as bit sets, so a
 * check is a few array reads instead of property and Set lookups on scattered objects.
 * `meets` answers exactly what flatMeetsWishes answers for the same two listings.
 * ---------------------------------------------------------------------------------- */

const LIFT = 1;
const BALCONY = 2;
const SAUNA = 4;

export interface PackedFacts {
  /** Listing index → its MatchFacts (the order of the array given to packFacts). */
  facts: MatchFacts[];
  district: Int32Array;
  rooms: Int32Array;
  size: Int32Array;
  rent: Int32Array;
  features: Uint8Array;
  /** Wishes; an empty wish is a bound that every flat meets. */
  minRooms: Float64Array;
  minSize: Float64Array;
  maxRent: Float64Array;
  wantedFeatures: Uint8Array;
  /** `words` 32-bit words per listing: bit d set when the listing wants district index d. */
  wanted: Uint32Array;
  words: number;
  /** District index → the indexes of the listings in it, in the given order. */
  byDistrict: Int32Array[];
  /** Listing index → the district indexes it wants (no repeats). */
  wantedList: Int32Array[];
}

export function packFacts(facts: MatchFacts[]): PackedFacts {
  const districtIndex = new Map<string, number>();
  const indexOf = (d: string) => {
    let i = districtIndex.get(d);
    if (i === undefined) districtIndex.set(d, (i = districtIndex.size));
    return i;
  };
  for (const l of facts) {
    indexOf(l.district);
    for (const d of l.wantedDistricts) indexOf(d);
  }
  const n = facts.length;
  const words = Math.max(1, Math.ceil(districtIndex.size / 32));
  const p: PackedFacts = {
    facts,
    district: new Int32Array(n),
    rooms: new Int32Array(n),
    size: new Int32Array(n),
    rent: new Int32Array(n),
    features: new Uint8Array(n),
    minRooms: new Float64Array(n),
    minSize: new Float64Array(n),
    maxRent: new Float64Array(n),
    wantedFeatures: new Uint8Array(n),
    wanted: new Uint32Array(n * words),
    words,
    byDistrict: [],
    wantedList: [],
  };
  const members: number[][] = Array.from({ length: districtIndex.size }, () => []);
  facts.forEach((l, i) => {
    const d = indexOf(l.district);
    p.district[i] = d;
    members[d]!.push(i);
    p.rooms[i] = l.rooms;
    p.size[i] = l.sizeM2;
    p.rent[i] = l.rentEur;
    p.features[i] = (l.hasLift ? LIFT : 0) | (l.hasBalcony ? BALCONY : 0) | (l.hasSauna ? SAUNA : 0);
    p.minRooms[i] = l.wantedRoomsMin ?? -Infinity;
    p.minSize[i] = l.wantedSizeMin ?? -Infinity;
    p.maxRent[i] = l.wantedRentMax ?? Infinity;
    p.wantedFeatures[i] = (l.wantedLift ? LIFT : 0) | (l.wantedBalcony ? BALCONY : 0) | (l.wantedSauna ? SAUNA : 0);
    const list: number[] = [];
    for (const name of l.wantedDistricts) {
      const w = indexOf(name);
      p.wanted[i * words + (w >>> 5)]! |= 1 << (w & 31);
      list.push(w);
    }
    p.wantedList.push(Int32Array.from(list));
  });
  p.byDistrict = members.map((m) => Int32Array.from(m));
  return p;
}

/** flatMeetsWishes(facts[home], facts[wanter]) over the packed arrays. */
export function meets(p: PackedFacts, home: number, wanter: number): boolean {
  const d = p.district[home]!;
  return (
    ((p.wanted[wanter * p.words + (d >>> 5)]! >>> (d & 31)) & 1) === 1 &&
    p.rooms[home]! >= p.minRooms[wanter]! &&
    p.size[home]! >= p.minSize[wanter]! &&
    p.rent[home]! <= p.maxRent[wanter]! &&
    (p.features[home]! & p.wantedFeatures[wanter]!) === p.wantedFeatures[wanter]!
  );
}

/**
 * meets() for a home already known to be in one of the wanter's districts (the full
 * passes walk the wanted districts' listings): the district bit need not be read.
 */
function meetsInDistrict(p: PackedFacts, home: number, wanter: number): boolean {
  return (
    p.rooms[home]! >= p.minRooms[wanter]! &&
    p.size[home]! >= p.minSize[wanter]! &&
    p.rent[home]! <= p.maxRent[wanter]! &&
    (p.features[home]! & p.wantedFeatures[wanter]!) === p.wantedFeatures[wanter]!
  );
}

/**
 * Every wanter (its position in the packed listings) with the positions of the listings
 * whose flat meets its wishes, found by walking its wanted districts: the one pass both
 * full rebuilds make. The homes array is reused; read it before taking the next wanter.
 */
export function* homesByWanter(p: PackedFacts): Generator<[wanter: number, homes: number[]]> {
  const homes: number[] = [];
  for (let w = 0; w < p.facts.length; w++) {
    homes.length = 0;
    for (const district of p.wantedList[w]!) {
      for (const h of p.byDistrict[district]!) {
        if (h !== w && meetsInDistrict(p, h, w)) homes.push(h);
      }
    }
    yield [w, homes];
  }
}
