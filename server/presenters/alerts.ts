import { formatters, translator, type Locale } from '../i18n';
import { asSearch, parseSavedFilters, type SavedFilters, type SavedSearchRow } from '../services/alerts';
import { districtName } from '../services/districts';
import { searchQueryString } from '../validation/listing';

// What a page or an e-mail may show of a saved search: the tenant's own name for it (or,
// without one, its filters in words) and the link to its results. Only ever shown to the
// tenant who saved it.

/** The filters in words, in the page's language: "Kallio, Vallila · at least 2 rooms · balcony". */
export function describeFilters(f: SavedFilters, locale: Locale): string {
  const t = translator(locale);
  const fmt = formatters(locale);
  const parts: string[] = [];
  if (f.districts.length > 0) parts.push(f.districts.map((d) => districtName(d, locale)).join(', '));
  if (f.roomsMin !== undefined) parts.push(t('listings:search.applied.rooms_min', { count: f.roomsMin }));
  if (f.roomsMax !== undefined) parts.push(t('listings:search.applied.rooms_max', { count: f.roomsMax }));
  if (f.sizeMin !== undefined) parts.push(t('listings:search.applied.size_min', { size: fmt.m2(f.sizeMin) }));
  if (f.rentMax !== undefined) parts.push(t('listings:search.applied.rent_max', { rent: fmt.eur(f.rentMax) }));
  for (const [on, label] of [
    [f.lift, 'has_lift'],
    [f.balcony, 'has_balcony'],
    [f.sauna, 'has_sauna'],
  ] as const) {
    if (on) parts.push(t(`listings:fields.${label}`));
  }
  return parts.length > 0 ? parts.join(' · ') : t('listings:search.applied.none');
}

export interface SavedSearchView {
  id: number;
  /** The tenant's name for it, or its filters in words. */
  title: string;
  /** The filters in words (shown under a name). */
  summary: string;
  named: boolean;
  alert: boolean;
  href: string;
}

export function presentSavedSearch(
  s: Pick<SavedSearchRow, 'id' | 'name' | 'filters' | 'alert'>,
  locale: Locale,
): SavedSearchView {
  const filters = parseSavedFilters(s.filters);
  const summary = describeFilters(filters, locale);
  return {
    id: s.id,
    title: s.name || summary,
    summary,
    named: s.name !== '',
    alert: s.alert,
    href: `/listings${searchQueryString(asSearch(filters), 1)}`,
  };
}
