import type { Request, Response } from 'express';
import { presentHeadroom, presentListing } from '../presenters/listing';
import { MATCH_LIMIT, type MatchList } from '../services/listings';
import type { RouteContext } from './context';
import { markLocals, pairKeyFor, ringsSection } from './swaps';

/** The signed-in tenant's mutual matches and "who wants my home". */
export function matchHandlers(ctx: RouteContext) {
  const { listings } = ctx.services;

  async function list(req: Request, res: Response) {
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
      rings,
      marks,
      pairKey: (id: number) => pairKeyFor(mine.id, id),
    });
  }

  return { list };
}
