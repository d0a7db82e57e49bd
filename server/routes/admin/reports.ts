import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { isAppError, NotFound, type FieldErrors } from '../../errors';
import { authorize } from '../../policies';
import { presentAdminListing, presentMessageInContext, presentReportedAccount, presentReport } from '../../presenters/admin';
import { adminPagination } from '../../presenters/pagination';
import { idOr404 } from '../../validation/ids';
import type { RouteContext } from '../context';
import { pageNumber } from '../../services/moderation';
import { keepInput, parseForm, text } from '../../validation';
import { moderator } from './helpers';

const noteSchema = z.object({ note: text(1000).default('') });

export function reportHandlers(ctx: RouteContext) {
  const { moderation } = ctx.services;

  /** The :id loader: any report, or 404. */
  async function load(req: Request, _res: Response, next: NextFunction) {
    const report = await moderation.findReport(idOr404(req.params.id));
    if (!report) throw NotFound();
    req.loaded = { ...req.loaded, report };
    next();
  }

  // GET /admin/reports — the open queue, oldest first.
  async function list(req: Request, res: Response) {
    const page = pageNumber(req.query.page);
    const { rows, count, pages } = await moderation.openReports(page);
    res.render('admin/reports', {
      reports: rows.map(presentReport),
      count,
      pagination: adminPagination('/admin/reports', {}, page, pages),
    });
  }

  // The report, and for a message report the message in context: opening it is audited.
  async function render(
    req: Request,
    res: Response,
    status = 200,
    form: { values?: Record<string, unknown>; errors?: FieldErrors } = {},
  ) {
    const report = req.loaded.report!;
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

  async function show(req: Request, res: Response) {
    await render(req, res);
  }

  /** POST /admin/reports/:id/resolve|dismiss — closes the report with an optional note. */
  function close(outcome: 'resolved' | 'dismissed') {
    return async (req: Request, res: Response) => {
      const report = req.loaded.report!;
      const parsed = parseForm(noteSchema, req.body);
      if (!parsed.ok) return render(req, res, 422, { values: keepInput(req.body), errors: parsed.fields });
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
    };
  }

  const resolve = close('resolved');
  const dismiss = close('dismissed');

  return { load, list, show, resolve, dismiss };
}
