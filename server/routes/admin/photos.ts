import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Listing } from '../../../models/listing';
import { isAppError, NotFound, type FieldErrors } from '../../errors';
import { authorize } from '../../policies';
import { presentAdminListing, presentReport } from '../../presenters/admin';
import { presentPhotos } from '../../presenters/photo';
import type { RouteContext } from '../../services';
import { keepInput, parseForm, requiredText, text } from '../../validation';
import { idParam, moderator } from './helpers';

// A moderator hides one photo of a listing (the owner is shown the reason) or restores
// it: POST /admin/listings/:id/photos/:photoId/hide|restore (reason). Written to the
// audit log in the same transaction (services/photos.ts).
const ACTIONS = {
  hide: { schema: z.object({ reason: requiredText(500) }), rule: 'admin.photo.hide', flash: 'photos:flash.hidden' },
  restore: { schema: z.object({ reason: text(1000).default('') }), rule: 'admin.photo.restore', flash: 'photos:flash.restored' },
} as const;

/** The admin listing page's photos, for views/admin/listing.ejs. */
export async function adminPhotosOf(ctx: RouteContext, listing: Listing, req: Request) {
  return presentPhotos(await ctx.services.photos.forListing(listing.id), listing, req.user);
}

export function adminPhotosRouter(ctx: RouteContext): Router {
  const router = Router();
  const { moderation, photos } = ctx.services;

  async function renderListing(req: Request, res: Response, listing: Listing, status: number, photoForm: { photoId: number; values: Record<string, unknown>; errors: FieldErrors }) {
    const reports = await moderation.openReportsAbout(listing.id);
    res.status(status).render('admin/listing', {
      listing: presentAdminListing(listing),
      reports: reports.map(presentReport),
      values: {},
      errors: Object.fromEntries(Object.entries(photoForm.errors).map(([k, v]) => [`photo-${photoForm.photoId}-${k}`, v])),
      photos: await adminPhotosOf(ctx, listing, req),
      photoForm,
    });
  }

  for (const verb of ['hide', 'restore'] as const) {
    router.post(`/:id/photos/:photoId/${verb}`, async (req, res) => {
      const listing = await moderation.findListing(idParam(req.params.id));
      if (!listing) throw NotFound();
      const photo = await photos.find(listing.id, idParam(req.params.photoId));
      if (!photo) throw NotFound();
      const action = ACTIONS[verb];
      // Each photo's form names its reason field after the photo (one page, many forms).
      const body = (req.body ?? {}) as Record<string, unknown>;
      const parsed = parseForm(action.schema, { reason: body[`photo-${photo.id}-reason`] ?? body.reason });
      if (!parsed.ok) return renderListing(req, res, listing, 422, { photoId: photo.id, values: { reason: keepInput(req.body)[`photo-${photo.id}-reason`] ?? '' }, errors: parsed.fields });
      authorize(moderator(req), action.rule, photo);
      try {
        await photos.moderate(moderator(req), photo, verb, parsed.data.reason);
      } catch (err) {
        if (isAppError(err) && err.status === 409) {
          req.flash('error', 'admin:flash.changed_meanwhile');
          return res.redirect(303, `/admin/listings/${listing.id}`);
        }
        throw err;
      }
      req.flash('success', action.flash, { id: photo.id });
      res.redirect(303, `/admin/listings/${listing.id}#photo-${photo.id}`);
    });
  }

  return router;
}
