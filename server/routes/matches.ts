import { Router } from 'express';
import { requireUser } from '../middleware/auth';
import { presentHeadroom, presentListing } from '../presenters/listing';
import type { RouteContext } from '../services';
import { MATCH_LIMIT, type MatchList } from '../services/listings';

/** The signed-in tenant's own lists: mutual matches, "who wants my home", favourites. */
export function matchesRouter(ctx: RouteContext): Router {
  const router = Router();
  const { listings } = ctx.services;

  router.get('/matches', requireUser, async (req, res) => {
    const user = req.user!;
    const mine = await listings.findByOwner(user.id);
    if (!mine) return res.render('listings/matches', { mine: null, matches: null, wantsMine: null, limit: MATCH_LIMIT });
    const { matches, wantsMine } = await listings.matchLists(mine);
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
