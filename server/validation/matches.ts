// The page parameters of /matches: each of its three lists is paged on its own
// (?mutual=2, ?rings=2, ?wants=2). Read like search's ?page: junk, 0, negatives and
// numbers of more than six digits are page 1; a page past the last is clamped by the
// services (services/paging.ts), so it shows the last page.

export const MATCH_SECTIONS = ['mutual', 'rings', 'wants'] as const;
export type MatchSection = (typeof MATCH_SECTIONS)[number];
export type MatchPageNumbers = Record<MatchSection, number>;

function pageParam(v: unknown): number {
  const n = typeof v === 'string' && /^\d{1,6}$/.test(v.trim()) ? Number(v.trim()) : 1;
  return n >= 1 ? n : 1;
}

/** The pages asked for, from /matches's query string or the marks form's `pages` field. */
export function parseMatchPages(q: Record<string, unknown> | URLSearchParams): MatchPageNumbers {
  const get = (k: MatchSection) => (q instanceof URLSearchParams ? (q.get(k) ?? undefined) : q[k]);
  return { mutual: pageParam(get('mutual')), rings: pageParam(get('rings')), wants: pageParam(get('wants')) };
}

/** The query string of /matches showing these pages ("" for all first pages; page 1 is left out). */
export function matchesQuery(pages: MatchPageNumbers): string {
  const params = new URLSearchParams();
  for (const section of MATCH_SECTIONS) if (pages[section] > 1) params.set(section, String(pages[section]));
  const qs = params.toString();
  return qs ? `?${qs}` : '';
}
