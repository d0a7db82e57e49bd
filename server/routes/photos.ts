import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Listing } from '../../models/listing';
import { Forbidden, NotFound, type FieldErrors } from '../errors';
import { requireUser } from '../middleware/auth';
import { can } from '../policies';
import { presentListing } from '../presenters/listing';
import { presentPhotos } from '../presenters/photo';
import type { RouteContext } from '../services';
import { ACCEPTED_KINDS, PHOTO_LIMITS, parsePhotoFile } from '../services/photo-images';
import type { PhotoMeta, PhotoService } from '../services/photos';
import { hasBadCharacters } from '../validation';

// Photos of a listing: the photo URLs, and the owner's photos page (add, describe, order,
// choose the cover, delete). Every handler: validate → load → authorize
// (policies/photo.ts) → service → render or redirect.

/** A year: a photo's URL names its bytes, so the same URL never shows anything else. */
const CACHE_FOR_A_YEAR = 'private, max-age=31536000, immutable';

function sendPhoto(res: Response, bytes: Buffer, cacheControl: string): void {
  res.set('Cache-Control', cacheControl);
  res.type('image/webp');
  res.send(bytes);
}

/**
 * Early in the stack, before the session: a visible photo of an active listing, the
 * photos search and listing pages show to everyone, is sent at once. Anything else goes
 * on to the route below, which knows who is asking (the owner of a paused listing still
 * sees its photos; everyone else gets 404, as for the listing).
 */
export function servePublicPhotos(photos: Pick<PhotoService, 'bytes'>): RequestHandler {
  return async (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !req.path.startsWith('/photos/')) return next();
    const file = parsePhotoFile(req.path.slice('/photos/'.length));
    if (!file) return next();
    const found = await photos.bytes(file.key, file.size);
    if (!found || !found.isPublic) return next();
    sendPhoto(res, found.bytes, CACHE_FOR_A_YEAR);
  };
}

/** Alt texts and errors the photo fields of a form show again. */
export function photoFormState(body: unknown, errors: FieldErrors, existing: number) {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const values: Record<string, string> = {};
  for (let n = 1; n <= PHOTO_LIMITS.perListing; n++) {
    const v = b[`photo_${n}_alt`];
    if (typeof v === 'string') values[`photo_${n}_alt`] = v;
  }
  const hasPhotoErrors = Object.keys(errors).some((k) => k === 'photos' || k.startsWith('photo_'));
  return {
    values,
    existing,
    slots: Math.max(0, PHOTO_LIMITS.perListing - existing),
    limits: { perListing: PHOTO_LIMITS.perListing, megabytes: PHOTO_LIMITS.fileBytes / 1024 / 1024, altText: PHOTO_LIMITS.altText },
    kinds: ACCEPTED_KINDS,
    // Files never come back with a form: say so when it is shown again.
    chooseAgain: Object.keys(errors).length > 0 && (hasPhotoErrors || Object.keys(values).some((k) => values[k] !== '')),
  };
}

function altTextError(raw: unknown): string | null {
  const alt = typeof raw === 'string' ? raw.trim() : '';
  if (alt === '') return 'photos:errors.alt_required';
  if (alt.length > PHOTO_LIMITS.altText || hasBadCharacters(alt)) return 'photos:errors.alt_invalid';
  return null;
}

export function photosRouter(ctx: RouteContext): Router {
  const router = Router();
  const { photos, listings } = ctx.services;

  // GET /photos/:file — a photo the early handler did not send: the listing is not
  // active or the photo is hidden, so only its owner and moderators get it.
  router.get('/photos/:file', async (req, res) => {
    const file = parsePhotoFile(req.params.file);
    if (!file) throw NotFound();
    const found = await photos.bytes(file.key, file.size);
    if (!found) throw NotFound();
    const listing = { status: found.listing.status, userId: found.listing.userId };
    if (!can(req.user, 'photo.view', { listing, photo: { status: found.photoVisible ? 'visible' : 'hidden' } })) throw NotFound();
    sendPhoto(res, found.bytes, found.isPublic ? CACHE_FOR_A_YEAR : 'private, no-store');
  });

  /** The listing named by :id for its owner's photo actions; 404 to anyone who may not see it. */
  async function ownListing(req: Request, res: Response): Promise<Listing | null> {
    const raw = req.params.id;
    if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw)) throw NotFound();
    const listing = await listings.findById(Number(raw));
    if (!listing || !can(req.user, 'listing.view', listing)) throw NotFound();
    if (can(req.user, 'photo.manage', listing)) return listing;
    if (req.user && listing.userId === req.user.id) {
      req.flash('error', 'listings:flash.not_in_this_state');
      res.redirect(303, `/listings/${listing.id}`);
      return null;
    }
    throw Forbidden();
  }

  async function ownPhoto(req: Request, listing: Listing): Promise<PhotoMeta> {
    const raw = req.params.photoId;
    if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw)) throw NotFound();
    const photo = await photos.find(listing.id, Number(raw));
    if (!photo) throw NotFound();
    return photo;
  }

  async function renderPage(req: Request, res: Response, listing: Listing, status = 200, form: { body?: unknown; errors?: FieldErrors } = {}) {
    const list = await photos.forListing(listing.id);
    const errors = form.errors ?? {};
    res.status(status).render('photos/manage', {
      listing: presentListing(listing, req.user, req.locale),
      photos: presentPhotos(list, listing, req.user),
      errors,
      photoForm: photoFormState(form.body, errors, list.length),
    });
  }

  router.get('/listings/:id/photos', requireUser, async (req, res) => {
    const listing = await ownListing(req, res);
    if (listing) await renderPage(req, res, listing);
  });

  // POST /listings/:id/photos — multipart: photo_1 … photo_N with photo_N_alt.
  router.post('/listings/:id/photos', requireUser, async (req, res) => {
    const listing = await ownListing(req, res);
    if (!listing) return;
    const existing = await photos.countFor(listing.id);
    const prepared = await photos.prepare(req.photoUpload, req.body, existing);
    if (prepared.photos.length === 0 && Object.keys(prepared.errors).length === 0) prepared.errors.photo_1 = 'photos:errors.none_chosen';
    if (Object.keys(prepared.errors).length > 0) return renderPage(req, res, listing, 422, { body: req.body, errors: prepared.errors });
    await photos.add(listing, prepared.photos);
    req.flash('success', 'photos:flash.added', { count: prepared.photos.length });
    res.redirect(303, `/listings/${listing.id}/photos`);
  });

  // POST /listings/:id/photos/:photoId/alt (alt_text)
  router.post('/listings/:id/photos/:photoId/alt', requireUser, async (req, res) => {
    const listing = await ownListing(req, res);
    if (!listing) return;
    const photo = await ownPhoto(req, listing);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const raw = body[`alt_${photo.id}`] ?? body.alt_text;
    const error = altTextError(raw);
    if (error) return renderPage(req, res, listing, 422, { errors: { [`alt_${photo.id}`]: error } });
    await photos.setAlt(photo, (raw as string).trim());
    req.flash('success', 'photos:flash.alt_saved');
    res.redirect(303, `/listings/${listing.id}/photos#photo-${photo.id}`);
  });

  for (const action of ['cover', 'up', 'down', 'delete'] as const) {
    router.post(`/listings/:id/photos/:photoId/${action}`, requireUser, async (req, res) => {
      const listing = await ownListing(req, res);
      if (!listing) return;
      const photo = await ownPhoto(req, listing);
      if (action === 'cover') await photos.makeCover(photo);
      else if (action === 'delete') await photos.remove(photo);
      else await photos.move(photo, action);
      req.flash('success', `photos:flash.${action}`);
      res.redirect(303, `/listings/${listing.id}/photos${action === 'delete' ? '' : `#photo-${photo.id}`}`);
    });
  }

  return router;
}
