import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import type { SavedSearch } from '../types/records';
import { NotFound, isAppError, type FieldErrors } from '../errors';
import { authorize } from '../policies';
import { describeFilters } from '../presenters/alerts';
import type { RouteContext } from './context';
import {
  SAVED_SEARCH_LIMIT,
  SAVED_SEARCH_NAME_MAX,
  asSearch,
  checkAlertUnsubscribe,
  savedFiltersOf,
  type SavedFilters,
} from '../services/alerts';
import { checkbox, keepInput, parseForm, text } from '../validation';
import { parseSearchQuery, searchFormState, searchQueryString } from '../validation/listing';

// Alerts (opt-in, off by default) and saved searches; the URLs are in the route table
// (routes/index.ts):
//   GET  /listings/save-search         saveForm: the "save this search" page for the filters in the query
//   POST /listings/save-search         save: the filters (name, alert) — the search page's form posts here
//   POST /account/alerts               update: the alert choices of /account (alert_new_swaps, alert_searches)
//   POST /account/searches/:searchId/delete  loadSearch, removeSearch (another tenant's: 404)
//   GET  /alerts/unsubscribe           unsubscribeForm: the e-mail's link asks first
//   POST /alerts/unsubscribe           unsubscribe: every alert off (also the mail program's RFC 8058 one-click POST)
// The /account part is account-sections.ts `alerts`. Every handler: validate → load →
// authorize → service → redirect or render.

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The saved search named by :id, loaded for its owner only. */
      savedSearch?: SavedSearch;
    }
  }
}

const saveSchema = z.object({
  name: text(SAVED_SEARCH_NAME_MAX).default(''),
  alert: checkbox,
});

const alertsSchema = z.object({
  alert_new_swaps: checkbox,
  alert_searches: z.preprocess(
    (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]),
    z
      .array(
        z
          .string()
          .regex(/^[1-9][0-9]{0,8}$/)
          .transform(Number),
      )
      .max(SAVED_SEARCH_LIMIT * 2),
  ),
});

/** The hidden fields that carry a search's filters (the search page's own names). */
export function filterFields(f: SavedFilters): [string, string][] {
  return Array.from(new URLSearchParams(searchQueryString(asSearch(f), 1).slice(1)).entries());
}

export function alertHandlers(ctx: RouteContext) {
  const { alerts } = ctx.services;

  /** The page for saving a search: its filters in words, the name and the alert choice. */
  function renderSave(
    req: Request,
    res: Response,
    status: number,
    filters: SavedFilters,
    values: Record<string, unknown>,
    errors: FieldErrors,
  ) {
    res.status(status).render('alerts/save-search', {
      filtersText: describeFilters(filters, req.locale),
      hidden: filterFields(filters),
      backHref: `/listings${searchQueryString(asSearch(filters), 1)}`,
      values,
      errors,
      limit: SAVED_SEARCH_LIMIT,
    });
  }

  /** The filters of a form or query, and an error when one of its numbers could not be read. */
  function readFilters(input: unknown): { filters: SavedFilters; errors: FieldErrors } {
    const filters = savedFiltersOf(parseSearchQuery(input));
    const errors: FieldErrors =
      Object.keys(searchFormState(input).errors).length > 0 ? { filters: 'alerts:save.errors.filters' } : {};
    return { filters, errors };
  }

  function saveForm(req: Request, res: Response) {
    const { filters, errors } = readFilters(req.query);
    renderSave(req, res, Object.keys(errors).length > 0 ? 422 : 200, filters, {}, errors);
  }

  async function save(req: Request, res: Response) {
    const user = req.user!;
    const { filters, errors } = readFilters(req.body);
    const parsed = parseForm(saveSchema, req.body);
    const values = keepInput(req.body);
    if (!parsed.ok || Object.keys(errors).length > 0) {
      return renderSave(req, res, 422, filters, values, { ...errors, ...(parsed.ok ? {} : parsed.fields) });
    }
    authorize(user, 'savedSearch.create');
    try {
      const outcome = await alerts.saveSearch(user, filters, parsed.data.name, parsed.data.alert);
      req.flash(outcome === 'saved' ? 'success' : 'info', `alerts:flash.${outcome}`);
    } catch (err) {
      if (isAppError(err) && err.details.fields) return renderSave(req, res, 422, filters, values, err.details.fields);
      throw err;
    }
    res.redirect(303, `/listings${searchQueryString(asSearch(filters), 1)}`);
  }

  async function update(req: Request, res: Response) {
    const parsed = parseForm(alertsSchema, req.body);
    // The form is all checkboxes: anything unreadable is a forged request, not a typo.
    if (!parsed.ok) throw NotFound();
    await alerts.updateAlerts(req.user!, { newSwaps: parsed.data.alert_new_swaps, searchIds: parsed.data.alert_searches });
    req.flash('success', 'alerts:flash.updated');
    res.redirect(303, '/account#alerts-title');
  }

  /** :searchId is one of the tenant's own saved searches; anything else is not found. */
  async function loadSearch(req: Request, _res: Response, next: NextFunction) {
    const value = String(req.params.searchId ?? '');
    if (!req.user || !/^[1-9][0-9]{0,8}$/.test(value)) throw NotFound();
    const search = await alerts.findOwnSearch(req.user, Number(value));
    if (!search) throw NotFound();
    req.savedSearch = search;
    next();
  }

  async function removeSearch(req: Request, res: Response) {
    const search = req.savedSearch;
    authorize(req.user, 'savedSearch.manage', search, { hide: true });
    await alerts.deleteSearch(req.user!, search!);
    req.flash('success', 'alerts:flash.deleted');
    res.redirect(303, '/account#saved-searches');
  }

  // The link in an alert e-mail works without signing in. GET (what a mail scanner or a
  // link preview fetches) only shows a confirmation form; POST turns every alert off,
  // from that form or from the mail program's RFC 8058 one-click button (which POSTs to
  // the same URL without a CSRF token: the signed, expiring link is the proof, see
  // middleware/csrf.ts). Both count against the per-IP page limit, and a link that does
  // not check out changes nothing.
  const linkUser = (req: Request) =>
    checkAlertUnsubscribe(ctx.config.sessionSecret, req.query.u, req.query.e, req.query.sig, ctx.clock());
  const limitPerIp = (req: Request) => ctx.rateLimits.get('search').consume(req.ip ?? 'unknown');

  async function unsubscribeForm(req: Request, res: Response) {
    await limitPerIp(req);
    if (!linkUser(req)) return res.status(400).render('alerts/unsubscribe', { ok: false, confirm: false });
    res.render('alerts/unsubscribe', { ok: true, confirm: true, action: req.originalUrl });
  }

  async function unsubscribe(req: Request, res: Response) {
    await limitPerIp(req);
    const userId = linkUser(req);
    if (!userId) return res.status(400).render('alerts/unsubscribe', { ok: false, confirm: false });
    await alerts.unsubscribe(userId);
    res.render('alerts/unsubscribe', { ok: true, confirm: false });
  }

  return { saveForm, save, update, loadSearch, removeSearch, unsubscribeForm, unsubscribe };
}
