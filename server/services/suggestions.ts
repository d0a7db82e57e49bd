import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { LISTING_STATUS } from '../../models/listing';

// "The current suggestions of a listing", as alerts need them: the swaps the board
// offers a tenant for their home. A suggestion is named by the listings in it, without
// the tenant's own:
//
// - a two-way swap (pair): a = the other listing; both flats meet the other's wishes
//   (an edge each way in the match graph, match_edges);
// - a three-way swap (ring): a, b, c = the ring's three listings as match_rings stores
//   them (rotated so the smallest id comes first; server/services/rings.ts).
//
// Only active listings have edges and rings, so a suggestion with a closed, paused or
// hidden listing is never among them. A suggestion the tenant marked "Not interested"
// (swap_marks, server/services/swaps.ts) comes back with `hidden` set.

export type SuggestionKind = 'pair' | 'ring';

export interface Suggestion {
  /** The listing whose suggestion this is. */
  listingId: number;
  kind: SuggestionKind;
  a: number;
  b: number;
  c: number;
  /** The listing's tenant marked it "Not interested". */
  hidden: boolean;
}

type Row = { listing_id: number | string; a: number | string; b: number | string; c: number | string; hidden: unknown };

const toSuggestion =
  (kind: SuggestionKind) =>
  (r: Row): Suggestion => ({
    listingId: Number(r.listing_id),
    kind,
    a: Number(r.a),
    b: Number(r.b),
    c: Number(r.c),
    hidden: r.hidden === true || Number(r.hidden) === 1,
  });

/**
 * The current suggestions of the given listings. With `unseen`, only those their owner
 * has not been told about yet (no row in alert_items), answered inside the database.
 */
export async function suggestionsFor(
  sequelize: Sequelize,
  listingIds: readonly number[],
  opts: { unseen?: boolean; transaction?: Transaction } = {},
): Promise<Suggestion[]> {
  if (listingIds.length === 0) return [];
  const unseenPair = opts.unseen
    ? `AND NOT EXISTS (SELECT 1 FROM alert_items s WHERE s.user_id = l.user_id AND s.kind = 'pair' AND s.a = o.home_id AND s.b = 0 AND s.c = 0)`
    : '';
  const replacements = { ids: listingIds, active: LISTING_STATUS.ACTIVE, no: false };
  const pairs = await sequelize.query<Row>(
    `SELECT o.wanter_id AS listing_id, o.home_id AS a, 0 AS b, 0 AS c,
            (CASE WHEN EXISTS (SELECT 1 FROM swap_marks m WHERE m.user_id = l.user_id AND m.interested = :no AND m.listing_c IS NULL
                AND m.listing_a = (CASE WHEN l.id < o.home_id THEN l.id ELSE o.home_id END)
                AND m.listing_b = (CASE WHEN l.id < o.home_id THEN o.home_id ELSE l.id END)) THEN 1 ELSE 0 END) AS hidden
       FROM listings l
       JOIN match_edges o ON o.wanter_id = l.id
       JOIN match_edges i ON i.wanter_id = o.home_id AND i.home_id = o.wanter_id
      WHERE l.id IN (:ids) AND l.status = :active ${unseenPair}`,
    { type: QueryTypes.SELECT, replacements, transaction: opts.transaction },
  );
  // A ring is reached from each of its three columns' indexes; one SELECT per column.
  const unseenRing = opts.unseen
    ? `AND NOT EXISTS (SELECT 1 FROM alert_items s WHERE s.user_id = l.user_id AND s.kind = 'ring'
         AND s.a = r.listing_a AND s.b = r.listing_b AND s.c = r.listing_c)`
    : '';
  const ringsVia = (column: string) => `
    SELECT l.id AS listing_id, r.listing_a AS a, r.listing_b AS b, r.listing_c AS c,
           (CASE WHEN EXISTS (SELECT 1 FROM swap_marks m WHERE m.user_id = l.user_id AND m.interested = :no
               AND m.listing_a = r.listing_a AND m.listing_b = r.listing_b AND m.listing_c = r.listing_c) THEN 1 ELSE 0 END) AS hidden
      FROM listings l JOIN match_rings r ON r.${column} = l.id
     WHERE l.id IN (:ids) AND l.status = :active ${unseenRing}`;
  const rings = await sequelize.query<Row>(
    [ringsVia('listing_a'), ringsVia('listing_b'), ringsVia('listing_c')].join(' UNION ALL '),
    { type: QueryTypes.SELECT, replacements, transaction: opts.transaction },
  );
  return [...pairs.map(toSuggestion('pair')), ...rings.map(toSuggestion('ring'))];
}
