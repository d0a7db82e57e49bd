// One page of a best-first list whose total is counted only when it has to be: the
// sections of /matches (mutual matches, who wants my home, three-way swaps). Most
// tenants' lists fit on the first page, and for them the page's own rows are the total;
// a COUNT runs only when the first page came back full or a later page is asked for
// (then first, so that a page past the last can show the last instead).

export interface Page<T> {
  rows: T[];
  total: number;
  /** The page shown (1-based): the one asked for, or the last when it was past the end. */
  page: number;
  pages: number;
}

export async function pageOf<T>(
  page: number,
  size: number,
  fetch: (limit: number, offset: number) => Promise<T[]>,
  count: () => Promise<number>,
): Promise<Page<T>> {
  if (page <= 1) {
    const rows = await fetch(size, 0);
    const total = rows.length < size ? rows.length : await count();
    return { rows, total, page: 1, pages: Math.max(1, Math.ceil(total / size)) };
  }
  const total = await count();
  const pages = Math.max(1, Math.ceil(total / size));
  const shown = Math.min(page, pages);
  const rows = total === 0 ? [] : await fetch(size, (shown - 1) * size);
  return { rows, total, page: shown, pages };
}
