import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import type { Listing } from '../../types/records';
import { isAppError, NotFound, type FieldErrors } from '../../errors';
import { authorize } from '../../policies';
import { presentAdminListing, presentReport } from '../../presenters/admin';
import { adminPagination } from '../../presenters/pagination';
import { idOr404 } from '../../validation/ids';
import { presentPhotos } from '../../presenters/photo';
import type { RouteContext } from '../context';
import { LISTING_FILTERS, pageNumber, type ListingFilter } from '../../services/moderation';
import { keepInput, parseForm, requiredText, text } from '../../validation';
import { moderator, returnTo } from './helpers';

// Hiding needs a reason: the owner is shown it. Restoring or removing may say why.
const ACTIONS = {
  hide: { schema: z.object({ reason: requiredText(500) }), rule: 'admin.listing.hide', flash: 'admin:flash.listing_hidden' },
  restore: {
    schema: z.object({ reason: text(1000).default('') }),
    rule: 'admin.listing.restore',
    flash: 'admin:flash.listing_restored',
  },
  // Removing is final, so it needs a reason too (and a confirmation page before it).
  remove: { schema: z.object({ reason: requiredText(500) }), rule: 'admin.listing.remove', flash: 'admin:flash.listing_removed' },
} as const;

export function adminListingHandlers(ctx: RouteContext) {
  const { moderation } = ctx.services;

  /** The :id loader: any listing in any state, or 404. */
  async function load(req: Request, _res: Response, next: NextFunction) {
    const listing = await moderation.findListing(idOr404(req.params.id));
    if (!listing) throw NotFound();
    req.loaded = { ...req.loaded, listing };
    next();
  }

  // GET /admin/listings?status=…&page=… — every listing in every state.
  async function list(req: Request, res: Response) {
    const raw = req.query.status;
    const filter: ListingFilter = (LISTING_FILTERS as readonly unknown[]).includes(raw) ? (raw as ListingFilter) : 'all';
    const page = pageNumber(req.query.page);
    const { rows, count, pages } = await moderation.listListings(filter, page);
    res.render('admin/listings', {
      listings: rows.map(presentAdminListing),
      count,
      filter,
      filters: LISTING_FILTERS,
      pagination: adminPagination('/admin/listings', filter === 'all' ? {} : { status: filter }, page, pages),
    });
  }

  async function render(
    req: Request,
    res: Response,
    status = 200,
    form: { values?: Record<string, unknown>; errors?: FieldErrors } = {},
  ) {
    const listing = req.loaded.listing!;
    const reports = await moderation.openReportsAbout(listing.id);
    res.status(status).render('admin/listing', {
      listing: presentAdminListing(listing),
      reports: reports.map(presentReport),
      values: form.values ?? {},
      errors: form.errors ?? {},
      photos: presentPhotos(await ctx.services.photos.forListing(listing.id), listing, req.user),
    });
  }

  async function show(req: Request, res: Response) {
    await render(req, res);
  }

  // GET /admin/listings/:id/remove — the confirmation page before the final POST; a
  // plain page, so it works without JavaScript.
  function confirmRemove(req: Request, res: Response) {
    const listing = req.loaded.listing!;
    authorize(moderator(req), 'admin.listing.remove', listing);
    res.render('admin/listing-remove', { listing: presentAdminListing(listing), values: {}, errors: {} });
  }

  /** POST /admin/listings/:id/hide|restore|remove (reason): one handler per verb. */
  function act(verb: 'hide' | 'restore' | 'remove') {
    return async (req: Request, res: Response) => {
      const listing: Listing = req.loaded.listing!;
      const action = ACTIONS[verb];
      const parsed = parseForm(action.schema, req.body);
      if (!parsed.ok) {
        if (verb === 'remove') {
          return res.status(422).render('admin/listing-remove', {
            listing: presentAdminListing(listing),
            values: keepInput(req.body),
            errors: parsed.fields,
          });
        }
        return render(req, res, 422, { values: keepInput(req.body), errors: parsed.fields });
      }
      authorize(moderator(req), action.rule, listing);
      const reason = parsed.data.reason;
      try {
        if (verb === 'hide') await moderation.hideListing(moderator(req), listing, reason);
        else if (verb === 'restore') await moderation.restoreListing(moderator(req), listing, reason);
        else await moderation.removeListing(moderator(req), listing, reason);
      } catch (err) {
        if (isAppError(err) && err.status === 409) {
          req.flash('error', 'admin:flash.changed_meanwhile');
          return res.redirect(303, `/admin/listings/${listing.id}`);
        }
        throw err;
      }
      req.flash('success', action.flash, { id: listing.id });
      res.redirect(303, returnTo(req, `/admin/listings/${listing.id}`));
    };
  }

  const hide = act('hide');
  const restore = act('restore');
  const remove = act('remove');

  return { load, list, show, confirmRemove, hide, restore, remove };
}
