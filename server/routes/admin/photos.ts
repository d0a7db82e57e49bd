import type { Request, Response } from 'express';
import { z } from 'zod';
import { isAppError, type FieldErrors } from '../../errors';
import { authorize } from '../../policies';
import { presentAdminListing, presentReport } from '../../presenters/admin';
import { presentPhotos } from '../../presenters/photo';
import { keepInput, parseForm, requiredText, text } from '../../validation';
import type { RouteContext } from '../context';
import { moderator } from './helpers';

// A moderator hides one photo of a listing (its tenant is shown the reason) or restores
// it: POST /admin/listings/:id/photos/:photoId/hide|restore (reason). The audit row and
// the change share one transaction (services/photos.ts). Loaded by admin.listings.load
// and photos.loadPhoto (server/routes/index.ts).
const ACTIONS = {
  hide: { schema: z.object({ reason: requiredText(500) }), rule: 'admin.photo.hide', flash: 'photos:flash.hidden' },
  restore: { schema: z.object({ reason: text(1000).default('') }), rule: 'admin.photo.restore', flash: 'photos:flash.restored' },
} as const;

export function adminPhotoHandlers(ctx: RouteContext) {
  const { moderation, photos } = ctx.services;

  /** The listing's admin page again, with the failed photo form's reason and error. */
  async function renderListing(
    req: Request,
    res: Response,
    photoForm: { photoId: number; values: Record<string, unknown>; errors: FieldErrors },
  ) {
    const listing = req.loaded.listing!;
    const reports = await moderation.openReportsAbout(listing.id);
    res.status(422).render('admin/listing', {
      listing: presentAdminListing(listing),
      reports: reports.map(presentReport),
      values: {},
      errors: Object.fromEntries(Object.entries(photoForm.errors).map(([k, v]) => [`photo-${photoForm.photoId}-${k}`, v])),
      photos: presentPhotos(await photos.forListing(listing.id), listing, req.user),
      photoForm,
    });
  }

  function moderate(verb: 'hide' | 'restore') {
    return async (req: Request, res: Response) => {
      const listing = req.loaded.listing!;
      const photo = req.loaded.photo!;
      const action = ACTIONS[verb];
      // Each photo's form names its reason field after the photo (one page, many forms).
      const body = (req.body ?? {}) as Record<string, unknown>;
      const parsed = parseForm(action.schema, { reason: body[`photo-${photo.id}-reason`] ?? body.reason });
      if (!parsed.ok) {
        return renderListing(req, res, {
          photoId: photo.id,
          values: { reason: keepInput(req.body)[`photo-${photo.id}-reason`] ?? '' },
          errors: parsed.fields,
        });
      }
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
    };
  }

  return { hide: moderate('hide'), restore: moderate('restore') };
}
