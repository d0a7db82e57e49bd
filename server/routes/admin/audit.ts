import { Router } from 'express';
import { pageLinks, presentAuditRow } from '../../presenters/admin';
import type { RouteContext } from '../../services';
import { pageNumber } from '../../services/moderation';

export function auditRouter(ctx: RouteContext): Router {
  const router = Router();
  const { moderation } = ctx.services;

  // GET /admin/audit — every moderator action, newest first.
  router.get('/', async (req, res) => {
    const page = pageNumber(req.query.page);
    const { rows, count, pages, names } = await moderation.auditPage(page);
    res.render('admin/audit', {
      rows: rows.map((r) => presentAuditRow(r, names)),
      count,
      pagination: pageLinks('/admin/audit', {}, page, pages),
    });
  });

  return router;
}
