import type { Request, Response } from 'express';
import { presentListing } from '../presenters/listing';
import { presentMatchList } from '../presenters/matches';
import { MATCH_LIMIT } from '../services/listings';
import type { RouteContext } from './context';
import { markLocals, pairKeyFor, ringsSection } from './swaps';

/** The signed-in tenant's mutual matches and "who wants my home". */
export function matchHandlers(ctx: RouteContext) {
  const { listings } = ctx.services;

  async function list(req: Request, res: Response) {
    const user = req.user!;
    const mine = await listings.findByOwner(user.id);
    if (!mine)
      return res.render('listings/matches', {
        mine: null,
        matches: null,
        wantsMine: null,
        limit: MATCH_LIMIT,
        rings: null,
        marks: {},
      });
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
    res.render('listings/matches', {
      mine: presentListing(mine, user, req.locale),
      matches: presentMatchList(matches, mine, user, req.locale),
      wantsMine: presentMatchList(wantsMine, mine, user, req.locale),
      limit: MATCH_LIMIT,
      rings,
      marks,
      pairKey: (id: number) => pairKeyFor(mine.id, id),
    });
  }

  return { list };
}
