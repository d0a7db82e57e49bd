import type { Locale } from '../i18n';
import type { MatchList } from '../services/listings';
import type { Listing, User } from '../types/records';
import { presentHeadroom, presentListing } from './listing';

/**
 * One list on /matches (mutual matches, or who wants my home): each row is a listing as
 * the viewer may see it, its scores and, where it meets my wishes, what it gives beyond them.
 */
export function presentMatchList(list: MatchList, mine: Listing, viewer: User, locale: Locale) {
  return {
    total: list.total,
    items: list.items.map((m) => ({
      listing: presentListing(m.listing, viewer, locale),
      score: m.score,
      fitsMe: m.fitsMe,
      fitsThem: m.fitsThem,
      mutual: m.mutual,
      // What their home gives beyond my wishes (only meaningful where it meets them).
      headroom: m.fitsMe !== null || m.mutual ? presentHeadroom(m.listing, mine) : null,
    })),
  };
}
