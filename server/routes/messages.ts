import type { NextFunction, Request, Response } from 'express';
import { isAppError, NotFound, type FieldErrors } from '../errors';
import type { Locale } from '../i18n';
import { takeKeptForm } from '../middleware/kept-form';
import { authorize, explain } from '../policies';
import { presentRefusal, type Problem } from '../presenters/refusal';
import { districtName } from '../services/districts';
import { presentInbox, presentListingLabel, presentThread } from '../presenters/conversation';
import { checkUnsubscribe, CLOSED, YOU_BLOCKED } from '../services/messages';
import { keepInput, parseForm } from '../validation';
import { messageReportSchema, messageSchema } from '../validation/messages';
import { REPORT_REASONS } from '../types/constants';
import type { Listing } from '../types/records';
import { parseId } from '../validation/ids';
import type { RouteContext } from './context';

// Private messages: writing to a listing's owner, the inbox, threads, blocking and
// reporting, and the e-mail's "turn notices off" link. The URLs are in routes/index.ts.

/** District names in the page's language. */
const namer = (res: Response) => (code: string) => districtName(code, res.locals.locale as Locale);

function problemFrom(err: unknown): { status: number; problem: Problem } | null {
  if (!isAppError(err)) return null;
  if (err.id === CLOSED || err.id === YOU_BLOCKED) return { status: 403, problem: { key: `messages:errors.${err.id}` } };
  if (err.status === 429) {
    return {
      status: 429,
      problem: { key: `errors:${err.id}`, params: { minutes: Math.ceil((err.details.retryAfterSeconds ?? 60) / 60) } },
    };
  }
  return null;
}

export function messageHandlers(ctx: RouteContext) {
  const { messages } = ctx.services;

  /**
   * The :id loader of every /messages/:id route. Only the two participants get past it;
   * everyone else gets the same 404, signed in or not and whether or not the
   * conversation exists. A visitor who is not signed in is not even looked up, and the
   * page offers the sign-in (they may have come from a notice e-mail).
   */
  async function load(req: Request, res: Response, next: NextFunction) {
    if (!req.user) {
      res.status(404).render('messages/signed-out', { next: req.method === 'GET' ? req.originalUrl : '/messages' });
      return;
    }
    const id = parseId(req.params.id);
    const conversation = id ? await messages.find(id) : null;
    authorize(req.user, 'conversation.view', conversation ?? undefined, { hide: true });
    req.loaded = { ...req.loaded, conversation: conversation! };
    next();
  }

  async function renderContact(
    res: Response,
    status: number,
    listing: Listing,
    extra: { values?: Record<string, unknown>; errors?: FieldErrors; problem?: Problem } = {},
  ) {
    res.status(status).render('messages/new', {
      listing: presentListingLabel(listing, namer(res)),
      values: extra.values ?? {},
      errors: extra.errors ?? {},
      problem: extra.problem ?? null,
    });
  }

  interface ThreadExtra {
    values?: Record<string, unknown>;
    errors?: FieldErrors;
    problem?: Problem;
    report?: { messageId: number; values: Record<string, unknown>; errors: FieldErrors };
  }

  async function renderThread(req: Request, res: Response, status = 200, extra: ThreadExtra = {}) {
    const user = req.user!;
    const conversation = req.loaded.conversation!;
    const before = req.method === 'GET' ? (parseId(req.query.before) ?? undefined) : undefined;
    const thread = await messages.thread(user, conversation, before);
    res.status(status).render('messages/show', {
      ...presentThread(thread, user, conversation, before, namer(res)),
      reasons: REPORT_REASONS,
      values: extra.values ?? {},
      errors: extra.errors ?? {},
      problem: extra.problem ?? null,
      report: extra.report ?? null,
    });
  }

  /** Writes to a listing's owner: opens (or reuses) the conversation about that listing. */
  async function create(req: Request, res: Response) {
    const user = req.user!;
    const id = parseId(req.params.id);
    const listing = id ? await messages.findListing(id) : null;
    // Only an active listing can be written about; the tenant is told why not otherwise.
    const decision = explain(user, 'message.start', listing ?? undefined);
    if (!listing || (!decision.ok && decision.reason === 'not_visible')) throw NotFound();
    if (!decision.ok) return renderContact(res, 403, listing, { problem: presentRefusal(decision, 'message')! });
    const values = keepInput(req.body);
    const parsed = parseForm(messageSchema, req.body);
    if (!parsed.ok) return renderContact(res, 422, listing, { values, errors: parsed.fields });
    try {
      const { conversationId } = await messages.startOrReuse(user, listing, parsed.data.body);
      res.redirect(303, `/messages/${conversationId}`);
    } catch (err) {
      const known = problemFrom(err);
      if (!known) throw err;
      return renderContact(res, known.status, listing, { values, problem: known.problem });
    }
  }

  /** The inbox. */
  async function list(req: Request, res: Response) {
    const user = req.user!;
    const page = Math.min(parseId(req.query.page) ?? 1, 10_000);
    const { rows, hasNext } = await messages.inbox(user, page);
    res.render('messages/index', presentInbox(rows, page, hasNext, user.id, namer(res)));
  }

  /** A thread; reading it marks it read. */
  async function show(req: Request, res: Response) {
    const user = req.user!;
    const conversation = req.loaded.conversation!;
    // Reading the thread clears its unread count; the header was counted before that.
    const wasUnread = await messages.markRead(user.id, conversation.id);
    res.locals.unreadTotal = Math.max(0, Number(res.locals.unreadTotal ?? 0) - wasUnread);
    await renderThread(req, res, 200, { values: takeKeptForm(req, res) ?? {} });
  }

  async function reply(req: Request, res: Response) {
    const user = req.user!;
    const conversation = req.loaded.conversation!;
    const decision = explain(user, 'conversation.reply', conversation);
    if (!decision.ok) return renderThread(req, res, 403, { problem: presentRefusal(decision, 'message')! });
    const values = keepInput(req.body);
    const parsed = parseForm(messageSchema, req.body);
    if (!parsed.ok) return renderThread(req, res, 422, { values, errors: parsed.fields });
    try {
      await messages.reply(user, conversation, parsed.data.body);
    } catch (err) {
      const known = problemFrom(err);
      if (!known) throw err;
      return renderThread(req, res, known.status, { values, problem: known.problem });
    }
    res.redirect(303, `/messages/${conversation.id}#latest`);
  }

  async function block(req: Request, res: Response) {
    const conversation = req.loaded.conversation!;
    await messages.block(req.user!, conversation);
    req.flash('success', 'messages:flash.blocked');
    res.redirect(303, `/messages/${conversation.id}`);
  }

  async function report(req: Request, res: Response) {
    const user = req.user!;
    const conversation = req.loaded.conversation!;
    const body = (req.body ?? {}) as Record<string, unknown>;
    // The message must be the other participant's, in this very conversation.
    const messageId = parseId(body.message_id);
    if (!messageId) throw NotFound();
    await messages.findReportable(user, conversation, messageId);
    const parsed = parseForm(messageReportSchema, body);
    if (!parsed.ok) {
      return renderThread(req, res, 422, { report: { messageId, values: keepInput(body), errors: parsed.fields } });
    }
    const { alreadyReported } = await messages.report(user, conversation, messageId, parsed.data.reason, parsed.data.details);
    req.flash(
      alreadyReported ? 'info' : 'success',
      alreadyReported ? 'messages:flash.already_reported' : 'messages:flash.reported',
    );
    res.redirect(303, `/messages/${conversation.id}`);
  }

  /** Unblocks a tenant (the list of blocked tenants is on /account). */
  async function unblock(req: Request, res: Response) {
    const blockedId = parseId(req.params.userId);
    if (!blockedId) throw NotFound();
    await messages.unblock(req.user!, blockedId);
    req.flash('success', 'messages:flash.unblocked');
    res.redirect(303, '/account');
  }

  return { load, create, list, show, reply, block, report, unblock };
}

/**
 * The link in a notice e-mail works without signing in. GET (what a mail scanner or a
 * link preview fetches) only shows a confirmation form; POST turns the notices off,
 * from that form or from the mail program's RFC 8058 one-click button (which POSTs
 * "List-Unsubscribe=One-Click" to the same URL, without a CSRF token: the signed,
 * expiring link is the proof). A link that does not check out changes nothing.
 */
export function unsubscribeHandlers(ctx: RouteContext) {
  const { messages } = ctx.services;
  const linkUser = (req: Request) =>
    checkUnsubscribe(ctx.config.sessionSecret, req.query.u, req.query.e, req.query.sig, ctx.clock());

  /** Asks for a confirmation; changes nothing. */
  function show(req: Request, res: Response) {
    if (!linkUser(req)) return res.status(400).render('messages/unsubscribe', { ok: false, confirm: false });
    res.render('messages/unsubscribe', { ok: true, confirm: true, action: req.originalUrl });
  }

  async function update(req: Request, res: Response) {
    const userId = linkUser(req);
    if (!userId) return res.status(400).render('messages/unsubscribe', { ok: false, confirm: false });
    await messages.unsubscribe(userId);
    res.render('messages/unsubscribe', { ok: true, confirm: false });
  }

  return { show, update };
}
