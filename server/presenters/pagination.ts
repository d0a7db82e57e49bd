// The one pagination presenter: page links for search, the sections of /matches, the
// inbox and the moderators' lists, all drawn by views/partials/pagination.ejs. Each link
// carries its i18n key so every list keeps its own words ("Older conversations", "Page 3").

export interface PageLink {
  /** Where the link goes; null for the page being shown. */
  href: string | null;
  current: boolean;
  /** A gap ("…") between page numbers. */
  gap: boolean;
  rel?: 'prev' | 'next';
  key: string;
  params?: Record<string, unknown>;
  /** When set, screen readers hear `key` and sighted readers see this short text (the page number). */
  short?: string;
}

export interface Pagination {
  /** The i18n key of the navigation's label. */
  labelKey: string;
  links: PageLink[];
}

const gap: PageLink = { href: null, current: false, gap: true, key: '' };

/** Search results: previous / next around page numbers (the first, the last, and two either side of this one). */
export function searchPagination(page: number, pages: number, href: (n: number) => string): Pagination {
  const links: PageLink[] = [];
  if (pages <= 1) return { labelKey: 'listings:pagination.label', links };
  if (page > 1)
    links.push({ href: href(page - 1), current: false, gap: false, rel: 'prev', key: 'listings:pagination.previous' });
  for (let n = 1; n <= pages; n += 1) {
    if (n === 1 || n === pages || Math.abs(n - page) <= 2) {
      const current = n === page;
      links.push({
        href: current ? null : href(n),
        current,
        gap: false,
        key: 'listings:pagination.page',
        params: { page: n },
        short: String(n),
      });
    } else if (!links[links.length - 1].gap) {
      links.push(gap);
    }
  }
  if (page < pages)
    links.push({ href: href(page + 1), current: false, gap: false, rel: 'next', key: 'listings:pagination.next' });
  return { labelKey: 'listings:pagination.label', links };
}

/**
 * One of several lists on a page (the sections of /matches): search's links under the
 * section's own label, so a screen reader tells the sections' page links apart.
 */
export function sectionPagination(labelKey: string, page: number, pages: number, href: (n: number) => string): Pagination {
  return { ...searchPagination(page, pages, href), labelKey };
}

/** The moderators' lists: every page number, or with more than 12 pages the first, the last and three either side. */
export function adminPagination(path: string, query: Record<string, string>, page: number, pages: number): Pagination {
  const links: PageLink[] = [];
  let previous = 0;
  for (let n = 1; n <= pages; n++) {
    if (pages > 12 && n !== 1 && n !== pages && Math.abs(n - page) > 3) continue;
    if (n - previous > 1) links.push(gap);
    previous = n;
    const params = new URLSearchParams({ ...query, ...(n > 1 ? { page: String(n) } : {}) });
    const qs = params.toString();
    const current = n === page;
    links.push({
      href: current ? null : qs ? `${path}?${qs}` : path,
      current,
      gap: false,
      key: 'admin:pagination.page',
      params: { n },
    });
  }
  return { labelKey: 'admin:pagination.label', links: pages > 1 ? links : [] };
}

/** The inbox: newer / this page / older, without a total (it is not counted). */
export function inboxPagination(page: number, hasNext: boolean): Pagination {
  const links: PageLink[] = [];
  if (page > 1)
    links.push({ href: `/messages?page=${page - 1}`, current: false, gap: false, rel: 'prev', key: 'messages:inbox.newer' });
  links.push({ href: null, current: true, gap: false, key: 'messages:inbox.page', params: { page } });
  if (hasNext)
    links.push({ href: `/messages?page=${page + 1}`, current: false, gap: false, rel: 'next', key: 'messages:inbox.older' });
  return { labelKey: 'messages:inbox.pages', links };
}
