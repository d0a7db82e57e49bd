import type { Request, Response } from 'express';
import { presentListing } from '../presenters/listing';
import { presentMatchList } from '../presenters/matches';
import { sectionPagination } from '../presenters/pagination';
import { MATCHES_PAGE_SIZE, WANTS_PAGE_SIZE } from '../services/listings';
import { type Page } from '../services/paging';
import { ringsPageForListing, type Ring } from '../services/rings';
import { matchesQuery, parseMatchPages, type MatchPageNumbers, type MatchSection } from '../validation/matches';
import type { RouteContext } from './context';
import { markLocals, pairKeyFor, ringCardIds, ringsSection } from './swaps';

// Each section's page links keep the other sections' pages and jump to its heading.
const SECTIONS: Record<MatchSection, { anchor: string; labelKey: string }> = {
  mutual: { anchor: 'mutual-title', labelKey: 'listings:matches.mutual_pages' },
  rings: { anchor: 'rings-title', labelKey: 'swaps:rings.pages' },
  wants: { anchor: 'wants-title', labelKey: 'listings:matches.wants_pages' },
};

/** Where a page is in its list: `first` is how many come before it ("showing 21–40"). */
const placeOf = (p: { page: number; pages: number }, size: number) => ({
  page: p.page,
  pages: p.pages,
  first: (p.page - 1) * size,
});

const NO_RINGS: Page<Ring> = { rows: [], total: 0, page: 1, pages: 1 };

/** The signed-in tenant's mutual matches, three-way swaps and "who wants my home". */
export function matchHandlers(ctx: RouteContext) {
  const { listings } = ctx.services;

  async function list(req: Request, res: Response) {
    const user = req.user!;
    const mine = await listings.findByOwner(user.id);
    if (!mine) return res.render('listings/matches', { mine: null, matches: null, wantsMine: null, rings: null, marks: {} });
    const active = mine.status === 'active';
    // Junk is page 1; a page past the last shows the last (the services clamp).
    const asked = parseMatchPages(req.query);
    // Pairs and rings the tenant marked "not interested" are on /matches/hidden instead.
    // The rings are read beside the pairs, and their homes' cards loaded with the pairs'.
    const ringPage = active ? ringsPageForListing(mine.id, asked.rings, { excludeHiddenBy: user.id }) : Promise.resolve(NO_RINGS);
    const { matches, wantsMine, cards } = await listings.matchLists(
      mine,
      { mutualPage: asked.mutual, wantsPage: asked.wants, hiddenBy: user.id },
      ringPage.then((p) => ringCardIds(p.rows)),
    );
    const rings = ringsSection(await ringPage, cards, user, mine, req.locale);
    const marks = active
      ? await markLocals(ctx, user, [
          ...matches.items.map((m) => ({ key: pairKeyFor(mine.id, m.listing.id), parties: 2 })),
          ...rings.items.map((r) => ({ key: r.key, parties: 3 })),
        ])
      : {};
    const shown: MatchPageNumbers = { mutual: matches.page, rings: rings.page, wants: wantsMine.page };
    const pagination = (section: MatchSection, pages: number) =>
      sectionPagination(
        SECTIONS[section].labelKey,
        shown[section],
        pages,
        (n) => `/matches${matchesQuery({ ...shown, [section]: n })}#${SECTIONS[section].anchor}`,
      );
    res.render('listings/matches', {
      mine: presentListing(mine, user, req.locale),
      matches: { ...presentMatchList(matches, mine, user, req.locale), ...placeOf(matches, MATCHES_PAGE_SIZE) },
      wantsMine: { ...presentMatchList(wantsMine, mine, user, req.locale), ...placeOf(wantsMine, WANTS_PAGE_SIZE) },
      rings,
      marks,
      pairKey: (id: number) => pairKeyFor(mine.id, id),
      pagination: {
        mutual: pagination('mutual', matches.pages),
        rings: pagination('rings', rings.pages),
        wants: pagination('wants', wantsMine.pages),
      },
      backQuery: matchesQuery(shown),
    });
  }

  return { list };
}
