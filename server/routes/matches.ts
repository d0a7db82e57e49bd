import { Router } from 'express';
import { requireUser } from '../middleware/auth';
import { presentHeadroom, presentListing } from '../presenters/listing';
import type { RouteContext } from '../services';
import { MATCH_LIMIT, type MatchList } from '../services/listings';
import { markLocals, pairKeyFor, ringsSection } from './swaps';

/** The signed-in tenant's own lists: mutual matches, "who wants my home", favourites. */
export function matchesRouter(ctx: RouteContext): Router {
  const router = Router();
  const { listings } = ctx.services;

  router.get('/matches', requireUser, async (req, res) => {
    const user = req.user!;
    const mine = await listings.findByOwner(user.id);
    if (!mine) return res.render('listings/matches', { mine: null, matches: null, wantsMine: null, limit: MATCH_LIMIT, rings: null, marks: {} });
    const active = mine.status === 'active';
    // Pairs and rings the tenant marked "not interested" are on /matches/hidden instead.
    const { matches, wantsMine } = await listings.matchLists(mine, MATCH_LIMIT, { hiddenBy: user.id });
    const rings = active ? await ringsSection(ctx, user, mine, req.locale) : { total: 0, items: [] };
    const marks = active
      ? await markLocals(ctx, user, [
        ...matches.items.map((m) => ({ key: pairKeyFor(mine.id, m.listing.id), parties: 2 })),
        ...rings.items.map((r) => ({ key: r.key, parties: 3 })),
      ])
      : {};
    const present = (list: MatchList) => ({
      total: list.total,
      items: list.items.map((m) => ({
        listing: presentListing(m.listing, user, req.locale), score: m.score, fitsMe: m.fitsMe, fitsThem: m.fitsThem,
        mutual: m.mutual,
        // What their home gives beyond my wishes (only meaningful where it meets them).
        headroom: m.fitsMe !== null || m.mutual ? presentHeadroom(m.listing, mine) : null,
      })),
    });
    res.render('listings/matches', {
      mine: presentListing(mine, user, req.locale),
      matches: present(matches),
      wantsMine: present(wantsMine),
      limit: MATCH_LIMIT,
      rings,
      marks,
      pairKey: (id: number) => pairKeyFor(mine.id, id),
    });
  });

  router.get('/favourites', requireUser, async (req, res) => {
    const { listings: saved, total } = await listings.favourites(req.user!.id);
    res.render('listings/favourites', {
      listings: saved.map((l) => presentListing(l, req.user, req.locale)),
      total,
    });
  });

  return router;
}
