import type { Request, Response } from 'express';
import { presentListing } from '../presenters/listing';
import { presentMatchList } from '../presenters/matches';
import { MATCH_LIMIT } from '../services/listings';
import type { RouteContext } from './context';

/** The signed-in tenant's mutual matches and "who wants my home". */
export function matchHandlers(ctx: RouteContext) {
  const { listings } = ctx.services;

  async function list(req: Request, res: Response) {
    const user = req.user!;
    const mine = await listings.findByOwner(user.id);
    if (!mine) return res.render('listings/matches', { mine: null, matches: null, wantsMine: null, limit: MATCH_LIMIT });
    const { matches, wantsMine } = await listings.matchLists(mine);
    res.render('listings/matches', {
      mine: presentListing(mine, user, req.locale),
      matches: presentMatchList(matches, mine, user, req.locale),
      wantsMine: presentMatchList(wantsMine, mine, user, req.locale),
      limit: MATCH_LIMIT,
    });
  }

  return { list };
}
