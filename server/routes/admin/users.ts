import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import type { User } from '../../types/records';
import { isAppError, NotFound, type FieldErrors } from '../../errors';
import { authorize } from '../../policies';
import { presentAdminUser, presentAdminUserRow } from '../../presenters/admin';
import { adminPagination } from '../../presenters/pagination';
import { idOr404 } from '../../validation/ids';
import type { RouteContext } from '../context';
import { pageNumber } from '../../services/moderation';
import { keepInput, parseForm, requiredText, text } from '../../validation';
import { moderator, queryText, returnTo } from './helpers';

const suspendSchema = z.object({ reason: requiredText(500) });
const unsuspendSchema = z.object({ reason: text(1000).default('') });

export function adminUserHandlers(ctx: RouteContext) {
  const { moderation } = ctx.services;

  /** The :id loader: any account, or 404. */
  async function load(req: Request, _res: Response, next: NextFunction) {
    const user = await moderation.findUser(idOr404(req.params.id));
    if (!user) throw NotFound();
    req.loaded = { ...req.loaded, user };
    next();
  }

  // GET /admin/users?q=… — search by username or e-mail. Moderators may see addresses
  // here: they sometimes need to contact a tenant (docs/product.md, "Who sees what").
  async function list(req: Request, res: Response) {
    const q = queryText(req.query.q);
    const page = pageNumber(req.query.page);
    const { rows, count, pages } = await moderation.searchUsers(q, page);
    res.render('admin/users', {
      users: rows.map(presentAdminUserRow),
      count,
      q,
      pagination: adminPagination('/admin/users', q ? { q } : {}, page, pages),
    });
  }

  async function render(
    req: Request,
    res: Response,
    status = 200,
    form: { values?: Record<string, unknown>; errors?: FieldErrors } = {},
  ) {
    const user = req.loaded.user!;
    res.status(status).render('admin/user', {
      user: presentAdminUser(user),
      isSelf: user.id === moderator(req).id,
      values: form.values ?? {},
      errors: form.errors ?? {},
    });
  }

  // GET /admin/users/:id — a tenant's details; looking is itself written to the audit log.
  async function show(req: Request, res: Response) {
    await moderation.recordUserViewed(moderator(req), req.loaded.user!);
    await render(req, res);
  }

  // POST /admin/users/:id/suspend (reason) — and every session of theirs ends at once.
  async function suspend(req: Request, res: Response) {
    const user = req.loaded.user!;
    const parsed = parseForm(suspendSchema, req.body);
    if (!parsed.ok) return render(req, res, 422, { values: keepInput(req.body), errors: parsed.fields });
    authorize(moderator(req), 'admin.user.suspend', user);
    await act(
      req,
      res,
      user,
      () => moderation.suspendUser(moderator(req), user, parsed.data.reason),
      'admin:flash.user_suspended',
    );
  }

  // POST /admin/users/:id/unsuspend (reason)
  async function unsuspend(req: Request, res: Response) {
    const user = req.loaded.user!;
    const parsed = parseForm(unsuspendSchema, req.body);
    if (!parsed.ok) return render(req, res, 422, { values: keepInput(req.body), errors: parsed.fields });
    authorize(moderator(req), 'admin.user.unsuspend', user);
    await act(
      req,
      res,
      user,
      () => moderation.unsuspendUser(moderator(req), user, parsed.data.reason),
      'admin:flash.user_unsuspended',
    );
  }

  async function act(req: Request, res: Response, user: User, run: () => Promise<void>, flash: string) {
    try {
      await run();
      req.flash('success', flash, { id: user.id });
    } catch (err) {
      if (!(isAppError(err) && err.status === 409)) throw err;
      req.flash('error', 'admin:flash.changed_meanwhile');
    }
    res.redirect(303, returnTo(req, '/admin/users'));
  }

  return { load, list, show, suspend, unsuspend };
}
