import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { isAppError, NotFound, type FieldErrors } from '../errors';
import { safeNext } from '../middleware/auth';
import { takeKeptForm } from '../middleware/kept-form';
import { limitSearches } from '../middleware/visitor-pages';
import { authorize, can, deniedError, explain } from '../policies';
import { listingFormValuesOf, presentListing } from '../presenters/listing';
import { reasonKey } from '../presenters/refusal';
import { presentSearchPage } from '../presenters/search';
import { districtGroups, districtOptions } from '../services/districts';
import {
  LIMITS,
  listingFormValues,
  parseListingForm,
  parseReportForm,
  parseSearchQuery,
  searchFormState,
  type ListingFormValues,
} from '../validation/listing';
import { BUILDING_TYPES, LISTING_REPORT_REASONS } from '../types/constants';
import type { Listing } from '../types/records';
import { idOr404 } from '../validation/ids';
import type { RouteContext } from './context';
import { photoFormState, readPhotoForm } from './photos';

/**
 * Listings: search, the listing page, the owner's create / edit / pause / resume /
 * delete / request-review, and favourite / unfavourite / report for others. Every
 * handler: validate → load (:id, by `load`) → authorize (policies/listing.ts) → service
 * → render or redirect. The URLs are in server/routes/index.ts.
 */
export function listingHandlers(ctx: RouteContext) {
  const { listings } = ctx.services;

  // Listing and search pages are open to anonymous visitors, so they are rate-limited
  // per IP against scraping. Exceeding the limit answers the 429 page.
  const limitScraping = limitSearches(ctx);

  /**
   * The authorize step: true when the policy allows the action. A refusal is answered by
   * its reason: someone who may not even see the listing gets 404 (its existence is not
   * revealed); an owner whose listing is in the wrong state for the action (resuming a
   * hidden one, pausing twice) is sent back to it with a message; anyone else gets 403.
   */
  function permit(req: Request, res: Response, listing: Listing, action: string): boolean {
    const decision = explain(req.user, action, listing);
    if (decision.ok) return true;
    if (decision.reason !== 'wrong_state') throw deniedError(decision);
    req.flash('error', 'listings:flash.not_in_this_state');
    res.redirect(303, `/listings/${listing.id}`);
    return false;
  }

  function renderForm(
    req: Request,
    res: Response,
    status: number,
    opts: { listing?: Listing; values: ListingFormValues; errors: FieldErrors },
  ) {
    res.status(status).render('listings/form', {
      photoForm: photoFormState(req.body, opts.errors, opts.listing?.photos?.length ?? 0),
      editing: opts.listing ? presentListing(opts.listing, req.user, req.locale) : null,
      values: opts.values,
      errors: opts.errors,
      districts: districtOptions(req.locale),
      districtGroups: districtGroups(req.locale),
      buildingTypes: BUILDING_TYPES,
      limits: LIMITS,
    });
  }

  async function renderShow(
    req: Request,
    res: Response,
    listing: Listing,
    status = 200,
    report: { values: Record<string, string>; errors: FieldErrors } = { values: {}, errors: {} },
  ) {
    const viewer = req.user;
    const kept = status === 200 ? takeKeptForm(req, res) : null;
    const view = presentListing(listing, viewer, req.locale);
    const [isFavourite, reported, conversationId] = viewer
      ? await Promise.all([
          listings.isFavourite(viewer.id, listing.id),
          listings.hasReported(viewer.id, listing.id),
          viewer.id === listing.userId ? null : ctx.services.messages.conversationAbout(viewer, listing.id),
        ])
      : [false, false, null];
    const contact = explain(viewer, 'message.start', listing);
    res.status(status).render('listings/show', {
      listing: view,
      isFavourite,
      reported,
      reportReasons: LISTING_REPORT_REASONS,
      reportValues: report.values,
      reportErrors: report.errors,
      reportDetailsLimit: LIMITS.text,
      showContact: contact.ok,
      contactValues: kept ?? {},
      // Having written already, the tenant gets a link to that conversation, not a fresh form.
      conversationHref: conversationId ? `/messages/${conversationId}` : null,
      // A signed-in tenant who may not write (yet) is told why instead of getting a form
      // that would refuse; visitors and the listing's own tenant need no such note.
      contactRefusal:
        !contact.ok && (contact.reason === 'not_verified' || contact.reason === 'suspended')
          ? reasonKey(contact.reason, 'message')
          : null,
    });
  }

  const backTo = (req: Request, listing: Listing) => {
    const target = safeNext((req.body as Record<string, unknown> | undefined)?.return);
    return target === '/' ? `/listings/${listing.id}` : target;
  };

  /** The :id loader: a listing's number, or 404 for anything else. */
  async function load(req: Request, _res: Response, next: NextFunction) {
    const listing = await listings.findById(idOr404(req.params.id));
    if (!listing) throw NotFound();
    req.loaded = { ...req.loaded, listing };
    next();
  }

  // Visitors' pages are kept for the next visitor (middleware/page-cache.ts; app.ts
  // serves them from there, counting the same per-IP limit).
  const keepForVisitors: RequestHandler = ctx.pageCache?.fill ?? ((_req, _res, next) => next());

  async function list(req: Request, res: Response) {
    await limitScraping(req);
    const filters = parseSearchQuery(req.query);
    const form = searchFormState(req.query);
    const result = await listings.search(filters);
    // A number that could not be read is shown with its error (422); the rest still searches.
    res.status(Object.keys(form.errors).length > 0 ? 422 : 200).render('listings/index', {
      filters,
      form,
      ...presentSearchPage(result, filters, req.user, req.locale),
      districts: districtOptions(req.locale),
      districtGroups: districtGroups(req.locale),
    });
  }

  async function newForm(req: Request, res: Response) {
    const own = await listings.findByOwner(req.user!.id);
    if (own) return res.redirect(303, `/listings/${own.id}/edit`);
    if (!can(req.user, 'listing.create')) return res.render('listings/unverified');
    renderForm(req, res, 200, { values: listingFormValues(takeKeptForm(req, res) ?? {}), errors: {} });
  }

  async function create(req: Request, res: Response) {
    const user = req.user!;
    if (!can(user, 'listing.create')) return res.status(403).render('listings/unverified');
    const own = await listings.findByOwner(user.id);
    if (own) {
      req.flash('info', 'listings:flash.already_have');
      return res.redirect(303, `/listings/${own.id}/edit`);
    }
    const parsed = parseListingForm(req.body, req.locale);
    // Photos chosen on the form (multipart) are checked in the same pass as the text.
    const photos = await readPhotoForm(ctx.services.photos, req, 0);
    if (!parsed.ok || Object.keys(photos.errors).length > 0) {
      return renderForm(req, res, 422, {
        values: listingFormValues(req.body),
        errors: { ...(parsed.ok ? {} : parsed.fields), ...photos.errors },
      });
    }
    try {
      const listing = await listings.create(user, parsed.data, (l, t) => ctx.services.photos.addAll(l.id, photos.photos, t));
      req.flash('success', 'listings:flash.created');
      res.redirect(303, `/listings/${listing.id}`);
    } catch (err) {
      if (isAppError(err) && err.status === 409) {
        const existing = await listings.findByOwner(user.id);
        req.flash('info', 'listings:flash.already_have');
        return res.redirect(303, existing ? `/listings/${existing.id}/edit` : '/account');
      }
      throw err;
    }
  }

  async function show(req: Request, res: Response) {
    const listing = req.loaded.listing!;
    // Paused, hidden and removed listings are not found by anyone but their owner.
    authorize(req.user, 'listing.view', listing);
    if (!req.user || req.user.id !== listing.userId) await limitScraping(req);
    await renderShow(req, res, listing);
  }

  function edit(req: Request, res: Response) {
    const listing = req.loaded.listing!;
    if (!permit(req, res, listing, 'listing.edit')) return;
    const kept = takeKeptForm(req, res);
    renderForm(req, res, 200, { listing, values: kept ? listingFormValues(kept) : listingFormValuesOf(listing), errors: {} });
  }

  async function update(req: Request, res: Response) {
    const listing = req.loaded.listing!;
    if (!permit(req, res, listing, 'listing.edit')) return;
    const parsed = parseListingForm(req.body, req.locale);
    const photos = await readPhotoForm(ctx.services.photos, req, listing.photos?.length ?? 0);
    if (!parsed.ok || Object.keys(photos.errors).length > 0) {
      return renderForm(req, res, 422, {
        listing,
        values: listingFormValues(req.body),
        errors: { ...(parsed.ok ? {} : parsed.fields), ...photos.errors },
      });
    }
    await listings.update(listing, parsed.data, (l, t) => ctx.services.photos.addAll(l.id, photos.photos, t));
    req.flash('success', 'listings:flash.updated');
    res.redirect(303, `/listings/${listing.id}`);
  }

  async function pause(req: Request, res: Response) {
    const listing = req.loaded.listing!;
    if (!permit(req, res, listing, 'listing.pause')) return;
    await listings.pause(listing);
    req.flash('success', 'listings:flash.paused');
    res.redirect(303, `/listings/${listing.id}`);
  }

  async function resume(req: Request, res: Response) {
    const listing = req.loaded.listing!;
    if (!permit(req, res, listing, 'listing.resume')) return;
    await listings.resume(listing);
    req.flash('success', 'listings:flash.resumed');
    res.redirect(303, `/listings/${listing.id}`);
  }

  /** The confirmation page before `remove` deletes the listing. */
  function confirmRemove(req: Request, res: Response) {
    const listing = req.loaded.listing!;
    if (!permit(req, res, listing, 'listing.delete')) return;
    res.render('listings/delete', { listing: { id: listing.id } });
  }

  async function remove(req: Request, res: Response) {
    const listing = req.loaded.listing!;
    if (!permit(req, res, listing, 'listing.delete')) return;
    await listings.remove(listing);
    req.flash('success', 'listings:flash.deleted');
    res.redirect(303, '/account');
  }

  async function requestReview(req: Request, res: Response) {
    const listing = req.loaded.listing!;
    if (!permit(req, res, listing, 'listing.requestReview')) return;
    await listings.requestReview(listing);
    req.flash('success', 'listings:flash.review_requested');
    res.redirect(303, `/listings/${listing.id}`);
  }

  async function favourite(req: Request, res: Response) {
    const listing = req.loaded.listing!;
    if (!permit(req, res, listing, 'listing.favourite')) return;
    await listings.favourite(req.user!, listing);
    req.flash('success', 'listings:flash.favourited');
    res.redirect(303, backTo(req, listing));
  }

  async function unfavourite(req: Request, res: Response) {
    const listing = req.loaded.listing!;
    const saved = await listings.isFavourite(req.user!.id, listing.id);
    authorize(req.user, 'listing.unfavourite', { listing, saved });
    await listings.unfavourite(req.user!, listing.id);
    req.flash('success', 'listings:flash.unfavourited');
    res.redirect(303, backTo(req, listing));
  }

  async function report(req: Request, res: Response) {
    const listing = req.loaded.listing!;
    if (!permit(req, res, listing, 'listing.report')) return;
    if (await listings.hasReported(req.user!.id, listing.id)) {
      req.flash('info', 'listings:flash.already_reported');
      return res.redirect(303, `/listings/${listing.id}`);
    }
    const parsed = parseReportForm(req.body);
    if (!parsed.ok) {
      const b = (req.body ?? {}) as Record<string, unknown>;
      const values = {
        reason: typeof b.reason === 'string' ? b.reason : '',
        details: typeof b.details === 'string' ? b.details : '',
      };
      return renderShow(req, res, listing, 422, { values, errors: parsed.fields });
    }
    const created = await listings.report(req.user!, listing, parsed.data.reason, parsed.data.details);
    req.flash(created ? 'success' : 'info', created ? 'listings:flash.reported' : 'listings:flash.already_reported');
    res.redirect(303, `/listings/${listing.id}`);
  }

  return {
    load,
    keepForVisitors,
    list,
    newForm,
    create,
    show,
    edit,
    update,
    pause,
    resume,
    confirmRemove,
    remove,
    requestReview,
    favourite,
    unfavourite,
    report,
  };
}
