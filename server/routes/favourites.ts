import type { Request, Response } from 'express';
import { presentListing } from '../presenters/listing';
import type { RouteContext } from './context';

/** The listings the signed-in tenant saved (saving is on the listing: listings.favourite). */
export function favouriteHandlers(ctx: RouteContext) {
  const { listings } = ctx.services;

  async function list(req: Request, res: Response) {
    const { listings: saved, total } = await listings.favourites(req.user!.id);
    res.render('listings/favourites', {
      listings: saved.map((l) => presentListing(l, req.user, req.locale)),
      total,
    });
  }

  return { list };
}
