import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Report } from '../../../models/report';
import { isAppError, NotFound, type FieldErrors } from '../../errors';
import { authorize } from '../../policies';
import { pageLinks, presentAdminListing, presentMessageInContext, presentReportedAccount, presentReport } from '../../presenters/admin';
import type { RouteContext } from '../../services';
import { pageNumber } from '../../services/moderation';
import { keepInput, parseForm, text } from '../../validation';
import { idParam, loaded, moderator } from './helpers';

const noteSchema = z.object({ note: text(1000).default('') });

export function reportsRouter(ctx: RouteContext): Router {
  const router = Router();
  const { moderation } = ctx.services;

  router.param('id', async (_req, res, next, raw) => {
    const report = await moderation.findReport(idParam(raw));
    if (!report) throw NotFound();
    res.locals.reportRecord = report;
    next();
  });

  // GET /admin/reports — the open queue, oldest first.
  router.get('/', async (req, res) => {
    const page = pageNumber(req.query.page);
    const { rows, count, pages } = await moderation.openReports(page);
    res.render('admin/reports', { reports: rows.map(presentReport), count, pagination: pageLinks('/admin/reports', {}, page, pages) });
  });

  // The report, and for a message report the message in context: opening it is audited.
  async function show(req: Request, res: Response, status = 200, form: { values?: Record<string, unknown>; errors?: FieldErrors } = {}) {
    const report = loaded<Report>(res, 'reportRecord');
    const context = await moderation.reportedMessageInContext(moderator(req), report);
    const listing = report.kind === 'listing' && report.listingId ? await moderation.findListing(report.listingId) : null;
    const account = await moderation.reportedAccount(report);
    res.status(status).render('admin/report', {
      report: presentReport(report),
      // Whom the report is about, for the hide and suspend actions on this page.
      account: account ? presentReportedAccount(account) : null,
      messages: context ? presentMessageInContext(context.messages, context.reportedId) : null,
      listing: listing ? presentAdminListing(listing) : null,
      values: form.values ?? {},
      errors: form.errors ?? {},
    });
  }

  router.get('/:id', (req, res) => show(req, res));

  for (const [verb, outcome] of [['resolve', 'resolved'], ['dismiss', 'dismissed']] as const) {
    // POST /admin/reports/:id/resolve|dismiss — closes the report with an optional note.
    router.post(`/:id/${verb}`, async (req, res) => {
      const report = loaded<Report>(res, 'reportRecord');
      const parsed = parseForm(noteSchema, req.body);
      if (!parsed.ok) return show(req, res, 422, { values: keepInput(req.body), errors: parsed.fields });
      authorize(moderator(req), 'admin.report.handle', report);
      try {
        await moderation.handleReport(moderator(req), report, outcome, parsed.data.note);
      } catch (err) {
        if (isAppError(err) && err.status === 409) {
          req.flash('error', 'admin:flash.changed_meanwhile');
          return res.redirect(303, '/admin/reports');
        }
        throw err;
      }
      req.flash('success', `admin:flash.report_${outcome}`, { id: report.id });
      res.redirect(303, '/admin/reports');
    });
  }

  return router;
}
