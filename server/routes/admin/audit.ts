import type { Request, Response } from 'express';
import { presentAuditRow } from '../../presenters/admin';
import { adminPagination } from '../../presenters/pagination';
import { parseId } from '../../validation/ids';
import type { RouteContext } from '../context';
import { AUDIT_ACTIONS, AUDIT_TARGET_TYPES, pageNumber, type AuditFilter } from '../../services/moderation';

const ACTIONS: readonly string[] = Object.values(AUDIT_ACTIONS);

export function auditHandlers(ctx: RouteContext) {
  const { moderation } = ctx.services;

  // GET /admin/audit?action=…&type=…&id=… — every moderator action, newest first,
  // narrowed to one kind of action or one target when asked (unknown values are ignored).
  async function list(req: Request, res: Response) {
    const page = pageNumber(req.query.page);
    const filter: AuditFilter = {};
    if (typeof req.query.action === 'string' && ACTIONS.includes(req.query.action))
      filter.action = req.query.action as AuditFilter['action'];
    if (typeof req.query.type === 'string' && (AUDIT_TARGET_TYPES as readonly string[]).includes(req.query.type)) {
      filter.targetType = req.query.type as AuditFilter['targetType'];
      const id = parseId(req.query.id);
      if (id !== null) filter.targetId = id;
    }
    const { rows, count, pages, names } = await moderation.auditPage(page, filter);
    const query: Record<string, string> = {};
    if (filter.action) query.action = filter.action;
    if (filter.targetType) query.type = filter.targetType;
    if (filter.targetId) query.id = String(filter.targetId);
    res.render('admin/audit', {
      rows: rows.map((r) => presentAuditRow(r, names)),
      count,
      filter,
      actions: ACTIONS,
      targetTypes: AUDIT_TARGET_TYPES,
      pagination: adminPagination('/admin/audit', query, page, pages),
    });
  }

  return { list };
}
