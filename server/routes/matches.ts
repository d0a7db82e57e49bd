import type { Request, Response } from 'express';
import { presentHeadroom, presentListing } from '../presenters/listing';
import { MATCH_LIMIT, type MatchList } from '../services/listings';
import type { RouteContext } from './context';

/** The signed-in tenant's mutual matches and "who wants my home". */
export function matchHandlers(ctx: RouteContext) {
  const { listings } = ctx.services;

  async function list(req: Request, res: Response) {
    const user = req.user!;
    const mine = await listings.findByOwner(user.id);
    if (!mine) return res.render('listings/matches', { mine: null, matches: null, wantsMine: null, limit: MATCH_LIMIT });
    const { matches, wantsMine } = await listings.matchLists(mine);
    const present = (found: MatchList) => ({
      total: found.total,
      items: found.items.map((m) => ({
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
  }

  return { list };
}
