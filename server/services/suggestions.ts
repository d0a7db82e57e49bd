import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { LISTING_STATUS } from '../../models/listing';

// "The current suggestions of a listing", as alerts need them: the swaps the board
// offers a tenant for their home. A suggestion is named by the listings in it, without
// the tenant's own:
//
// - a two-way swap (pair): a = the other listing; both flats meet the other's wishes
//   (an edge each way in the match graph, match_edges);
// - a three-way swap (ring): a, b, c = the ring's three listings, smallest id first
//   (added when three-way swaps are stored; until then there are none).
//
// Only active listings have edges, so a suggestion with a closed, paused or hidden
// listing is never among them.

export type SuggestionKind = 'pair' | 'ring';

export interface Suggestion {
  /** The listing whose suggestion this is. */
  listingId: number;
  kind: SuggestionKind;
  a: number;
  b: number;
  c: number;
}

type Row = { listing_id: number | string; a: number | string; b: number | string; c: number | string };

const toSuggestion = (kind: SuggestionKind) => (r: Row): Suggestion => ({
  listingId: Number(r.listing_id), kind, a: Number(r.a), b: Number(r.b), c: Number(r.c),
});

/**
 * The current suggestions of the given listings. With `unseen`, only those their owner
 * has not been told about yet (no row in alert_items), answered inside the database.
 */
export async function suggestionsFor(
  sequelize: Sequelize, listingIds: readonly number[], opts: { unseen?: boolean; transaction?: Transaction } = {},
): Promise<Suggestion[]> {
  if (listingIds.length === 0) return [];
  const unseenPair = opts.unseen
    ? `AND NOT EXISTS (SELECT 1 FROM alert_items s WHERE s.user_id = l.user_id AND s.kind = 'pair' AND s.a = o.home_id AND s.b = 0 AND s.c = 0)`
    : '';
  const pairs = await sequelize.query<Row>(
    `SELECT o.wanter_id AS listing_id, o.home_id AS a, 0 AS b, 0 AS c
       FROM listings l
       JOIN match_edges o ON o.wanter_id = l.id
       JOIN match_edges i ON i.wanter_id = o.home_id AND i.home_id = o.wanter_id
      WHERE l.id IN (:ids) AND l.status = :active ${unseenPair}`,
    { type: QueryTypes.SELECT, replacements: { ids: listingIds, active: LISTING_STATUS.ACTIVE }, transaction: opts.transaction },
  );
  return pairs.map(toSuggestion('pair'));
}
