import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { User } from '../../../models/user';
import { isAppError, NotFound, type FieldErrors } from '../../errors';
import { authorize } from '../../policies';
import { pageLinks, presentAdminUser, presentAdminUserRow } from '../../presenters/admin';
import type { RouteContext } from '../../services';
import { pageNumber } from '../../services/moderation';
import { keepInput, parseForm, requiredText, text } from '../../validation';
import { idParam, loaded, moderator, queryText, returnTo } from './helpers';

const suspendSchema = z.object({ reason: requiredText(500) });
const unsuspendSchema = z.object({ reason: text(1000).default('') });

export function usersRouter(ctx: RouteContext): Router {
  const router = Router();
  const { moderation } = ctx.services;

  router.param('id', async (_req, res, next, raw) => {
    const user = await moderation.findUser(idParam(raw));
    if (!user) throw NotFound();
    res.locals.userRecord = user;
    next();
  });

  // GET /admin/users?q=… — search by username or e-mail. Moderators may see addresses
  // here: they sometimes need to contact a tenant (SPEC §4).
  router.get('/', async (req, res) => {
    const q = queryText(req.query.q);
    const page = pageNumber(req.query.page);
    const { rows, count, pages } = await moderation.searchUsers(q, page);
    res.render('admin/users', {
      users: rows.map(presentAdminUserRow), count, q, pagination: pageLinks('/admin/users', q ? { q } : {}, page, pages),
    });
  });

  async function show(req: Request, res: Response, status = 200, form: { values?: Record<string, unknown>; errors?: FieldErrors } = {}) {
    const user = loaded<User>(res, 'userRecord');
    res.status(status).render('admin/user', {
      user: presentAdminUser(user), isSelf: user.id === moderator(req).id, values: form.values ?? {}, errors: form.errors ?? {},
    });
  }

  // GET /admin/users/:id — a tenant's details; looking is itself written to the audit log.
  router.get('/:id', async (req, res) => {
    await moderation.recordUserViewed(moderator(req), loaded<User>(res, 'userRecord'));
    await show(req, res);
  });

  // POST /admin/users/:id/suspend (reason) — and every session of theirs ends at once.
  router.post('/:id/suspend', async (req, res) => {
    const user = loaded<User>(res, 'userRecord');
    const parsed = parseForm(suspendSchema, req.body);
    if (!parsed.ok) return show(req, res, 422, { values: keepInput(req.body), errors: parsed.fields });
    authorize(moderator(req), 'admin.user.suspend', user);
    await act(req, res, user, () => moderation.suspendUser(moderator(req), user, parsed.data.reason), 'admin:flash.user_suspended');
  });

  // POST /admin/users/:id/unsuspend (reason)
  router.post('/:id/unsuspend', async (req, res) => {
    const user = loaded<User>(res, 'userRecord');
    const parsed = parseForm(unsuspendSchema, req.body);
    if (!parsed.ok) return show(req, res, 422, { values: keepInput(req.body), errors: parsed.fields });
    authorize(moderator(req), 'admin.user.unsuspend', user);
    await act(req, res, user, () => moderation.unsuspendUser(moderator(req), user, parsed.data.reason), 'admin:flash.user_unsuspended');
  });

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

  return router;
}
