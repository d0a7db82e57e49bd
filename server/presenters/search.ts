import type { Locale } from '../i18n';
import { PAGE_SIZE, type SearchFilters, type SearchResult } from '../services/listings';
import type { User } from '../types/records';
import { searchQueryString } from '../validation/listing';
import { presentListing } from './listing';
import { searchPagination } from './pagination';

/** A page of search results: the cards as the viewer may see them, "21–40 of 57", and the page links. */
export function presentSearchPage(result: SearchResult, filters: SearchFilters, viewer: User | undefined, locale: Locale) {
  const first = (result.page - 1) * PAGE_SIZE;
  return {
    listings: result.listings.map((l) => presentListing(l, viewer, locale)),
    total: result.total,
    from: result.total === 0 ? 0 : first + 1,
    to: first + result.listings.length,
    // Page links keep the search.
    pagination: searchPagination(result.page, result.pages, (page) => `/listings${searchQueryString(filters, page)}`),
  };
}
