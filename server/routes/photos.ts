import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { NotFound, type FieldErrors } from '../errors';
import { authorize, deniedError, explain } from '../policies';
import { presentListing } from '../presenters/listing';
import { presentPhotos } from '../presenters/photo';
import { ACCEPTED_KINDS, PHOTO_LIMITS, parsePhotoFile } from '../services/photo-images';
import type { PhotoService } from '../services/photos';
import { PHOTO_STATUS } from '../types/constants';
import { altTextError, parsePhotoAlts } from '../validation/photos';
import type { RouteContext } from './context';

// Photos of a listing: the photo URLs, and the tenant's photos page (add, describe,
// order, choose the cover, delete). Every handler: validate → load (`load`, `loadPhoto`)
// → authorize (policies/photo.ts) → service → render or redirect. The URLs are in
// server/routes/index.ts; the early public handler is mounted by app.ts.

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
 * on to `photoHandlers().show`, which knows who is asking (the tenant of a paused
 * listing still sees its photos; everyone else gets 404, as for the listing).
 */
export function servePublicPhotos(photos: Pick<PhotoService, 'bytes'>): RequestHandler {
  return async function publicPhoto(req, res, next) {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !req.path.startsWith('/photos/')) return next();
    const file = parsePhotoFile(req.path.slice('/photos/'.length));
    if (!file) return next();
    const found = await photos.bytes(file.key, file.size);
    if (!found || !found.isPublic) return next();
    sendPhoto(res, found.bytes, CACHE_FOR_A_YEAR);
  };
}

/** Alt texts and errors the photo fields of a form show again (views/photos/_fields.ejs). */
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
    limits: {
      perListing: PHOTO_LIMITS.perListing,
      megabytes: PHOTO_LIMITS.fileBytes / 1024 / 1024,
      altText: PHOTO_LIMITS.altText,
    },
    kinds: ACCEPTED_KINDS,
    // Files never come back with a form: say so when it is shown again.
    chooseAgain: Object.keys(errors).length > 0 && (hasPhotoErrors || Object.values(values).some((v) => v !== '')),
  };
}

/**
 * The photos a multipart form brought: each chosen file decoded and re-encoded, with its
 * alt text; every refusal keyed by its field. Nothing is stored here. `existing` is how
 * many photos the listing has already. (Also used by the listing form's handlers.)
 */
export async function readPhotoForm(photos: Pick<PhotoService, 'prepare'>, req: Request, existing: number) {
  const text = parsePhotoAlts(req.body);
  const prepared = await photos.prepare(req.photoUpload, text.alts, existing);
  const errors = { ...text.errors, ...prepared.errors };
  return { photos: Object.keys(errors).length > 0 ? [] : prepared.photos, errors };
}

export function photoHandlers(ctx: RouteContext) {
  const { photos } = ctx.services;

  /**
   * After listings.load: lets the listing's tenant manage its photos. Anyone who may not
   * see the listing gets 404; its tenant, when the listing's state allows no changes, is
   * sent back to it with a message; anyone else gets 403.
   */
  function permitManage(req: Request, res: Response, next: NextFunction) {
    const listing = req.loaded.listing!;
    const decision = explain(req.user, 'photo.manage', listing);
    if (decision.ok) return next();
    if (decision.reason !== 'wrong_state') throw deniedError(decision);
    req.flash('error', 'listings:flash.not_in_this_state');
    res.redirect(303, `/listings/${listing.id}`);
  }

  /** The :photoId loader: a photo of the loaded listing, or 404. */
  async function loadPhoto(req: Request, _res: Response, next: NextFunction) {
    const raw = req.params.photoId;
    if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw)) throw NotFound();
    const photo = await photos.find(req.loaded.listing!.id, Number(raw));
    if (!photo) throw NotFound();
    req.loaded = { ...req.loaded, photo };
    next();
  }

  async function render(req: Request, res: Response, status = 200, form: { body?: unknown; errors?: FieldErrors } = {}) {
    const listing = req.loaded.listing!;
    const list = await photos.forListing(listing.id);
    const errors = form.errors ?? {};
    res.status(status).render('photos/manage', {
      listing: presentListing(listing, req.user, req.locale),
      photos: presentPhotos(list, listing, req.user),
      errors,
      photoForm: photoFormState(form.body, errors, list.length),
    });
  }

  // GET /photos/:file — a photo the early handler did not send: its listing is not
  // active or the photo is hidden, so only the listing's tenant and moderators get it.
  async function show(req: Request, res: Response) {
    const file = parsePhotoFile(String(req.params.file));
    if (!file) throw NotFound();
    const found = await photos.bytes(file.key, file.size);
    if (!found) throw NotFound();
    const target = { listing: found.listing, photo: { status: found.photoVisible ? PHOTO_STATUS.VISIBLE : PHOTO_STATUS.HIDDEN } };
    authorize(req.user, 'photo.view', target, { hide: true });
    sendPhoto(res, found.bytes, found.isPublic ? CACHE_FOR_A_YEAR : 'private, no-store');
  }

  // GET /listings/:id/photos
  async function list(req: Request, res: Response) {
    await render(req, res);
  }

  // POST /listings/:id/photos — multipart: photo_1 … photo_N with photo_N_alt.
  async function create(req: Request, res: Response) {
    const listing = req.loaded.listing!;
    const existing = await photos.countFor(listing.id);
    const prepared = await readPhotoForm(photos, req, existing);
    if (prepared.photos.length === 0 && Object.keys(prepared.errors).length === 0)
      prepared.errors.photo_1 = 'photos:errors.none_chosen';
    if (Object.keys(prepared.errors).length > 0) return render(req, res, 422, { body: req.body, errors: prepared.errors });
    await photos.add(listing, prepared.photos);
    req.flash('success', 'photos:flash.added', { count: prepared.photos.length });
    res.redirect(303, `/listings/${listing.id}/photos`);
  }

  // POST /listings/:id/photos/:photoId/alt (alt_<photoId> or alt_text)
  async function updateAlt(req: Request, res: Response) {
    const { listing, photo } = req.loaded as Required<Pick<typeof req.loaded, 'listing' | 'photo'>>;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const raw = body[`alt_${photo.id}`] ?? body.alt_text;
    const error = altTextError(raw);
    if (error) return render(req, res, 422, { errors: { [`alt_${photo.id}`]: error } });
    await photos.setAlt(photo, (raw as string).trim());
    req.flash('success', 'photos:flash.alt_saved');
    res.redirect(303, `/listings/${listing.id}/photos#photo-${photo.id}`);
  }

  function action(name: 'cover' | 'up' | 'down' | 'delete') {
    return async (req: Request, res: Response) => {
      const { listing, photo } = req.loaded as Required<Pick<typeof req.loaded, 'listing' | 'photo'>>;
      if (name === 'cover') await photos.makeCover(photo);
      else if (name === 'delete') await photos.remove(photo);
      else await photos.move(photo, name);
      req.flash('success', `photos:flash.${name}`);
      res.redirect(303, `/listings/${listing.id}/photos${name === 'delete' ? '' : `#photo-${photo.id}`}`);
    };
  }

  return {
    permitManage,
    loadPhoto,
    show,
    list,
    create,
    updateAlt,
    // POST /listings/:id/photos/:photoId/cover|up|down|delete
    makeCover: action('cover'),
    moveUp: action('up'),
    moveDown: action('down'),
    remove: action('delete'),
  };
}
