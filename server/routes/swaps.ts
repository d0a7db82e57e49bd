import type { NextFunction, Request, Response } from 'express';
import { isAppError, NotFound } from '../errors';
import type { Locale } from '../i18n';
import { presentListing, type ListingView } from '../presenters/listing';
import { districtName } from '../services/districts';
import type { Listing, User } from '../types/records';
import type { RouteContext } from './context';
import type { Page } from '../services/paging';
import { RINGS_PAGE_SIZE, type Ring } from '../services/rings';
import { matchesQuery, parseMatchPages } from '../validation/matches';
import { MARKS_MAX, pairKey, parseSuggestion, ringKey, type Suggestion } from '../services/swaps';

// Swaps that happen (three-way swaps, interest marks, closing a swap); the URLs are in
// the route table (routes/index.ts):
//   POST /swaps/marks                 suggestion, interest=yes|no — mark a pair or ring
//   POST /swaps/marks/undo            suggestion — take a mark back ("Hidden suggestions")
//   GET  /matches/hidden              the suggestions I marked "not interested", with undo
//   POST /messages/:id/agree          "We have agreed to swap" (and .../agree/undo)
//   GET  /messages/:id/summary        the printable summary for the landlord, once all agreed
//   POST /messages/:id/swapped        "We have swapped": my listing closes; then GET /swaps/done
//   POST /messages/:id/block          with user_id: block one tenant of a three-way conversation
// /matches shows the rings and the marks through ringsSection() and markLocals(), and a
// conversation page gets its swap panel from `panel`, run before the thread's handler.

/** A positive database id from a path, query or form, or null. */
function parseId(value: unknown): number | null {
  return typeof value === 'string' && /^[1-9][0-9]{0,9}$/.test(value) && Number(value) <= 2_147_483_647 ? Number(value) : null;
}

export interface RingView {
  key: string;
  score: number;
  /** Mine, the home I would move into, the home of the one who moves into mine. */
  homes: [ListingView, ListingView, ListingView];
}

export interface MarkView {
  key: string;
  parties: number;
  yes: number;
  mine: boolean | null;
  conversationId: number | null;
}

export interface RingsSection {
  total: number;
  page: number;
  pages: number;
  /** How many rings come before this page (the rings are numbered across pages). */
  first: number;
  items: RingView[];
}

/** The other homes of these rings, whose cards the page needs. */
export function ringCardIds(rings: Ring[]): number[] {
  return rings.flatMap((r) => r.listingIds.slice(1));
}

/**
 * The "Swaps with three homes" section of /matches: one page of the rings (hidden ones
 * left out, services/rings.ts ringsPageForListing) with the cards of their homes, loaded
 * by the caller together with the page's other cards.
 */
export function ringsSection(
  rings: Page<Ring>,
  cards: Map<number, Listing>,
  user: User,
  mine: Listing,
  locale: Locale,
): RingsSection {
  const items: RingView[] = [];
  for (const r of rings.rows) {
    const next = cards.get(r.listingIds[1]);
    const prev = cards.get(r.listingIds[2]);
    if (!next || !prev) continue;
    items.push({
      key: ringKey(rotateToMin(r.listingIds)),
      score: r.score,
      homes: [presentListing(mine, user, locale), presentListing(next, user, locale), presentListing(prev, user, locale)],
    });
  }
  return { total: rings.total, page: rings.page, pages: rings.pages, first: (rings.page - 1) * RINGS_PAGE_SIZE, items };
}

function rotateToMin(ids: [number, number, number]): [number, number, number] {
  const [x, y, z] = ids;
  if (x < y && x < z) return [x, y, z];
  if (y < z) return [y, z, x];
  return [z, x, y];
}

/** Each suggestion's marks: how many said yes (of how many), mine, and the ring's conversation. */
export async function markLocals(
  ctx: RouteContext,
  user: User,
  keys: { key: string; parties: number }[],
): Promise<Record<string, MarkView>> {
  const list = keys.map((k) => k.key);
  const { swaps } = ctx.services;
  const [marks, conversations] = await Promise.all([swaps.marksFor(user.id, list), swaps.ringConversations(user.id, list)]);
  const out: Record<string, MarkView> = {};
  for (const { key, parties } of keys) {
    const m = marks.get(key);
    out[key] = { key, parties, yes: m?.yes ?? 0, mine: m?.mine ?? null, conversationId: conversations.get(key) ?? null };
  }
  return out;
}

export function pairKeyFor(mineId: number, otherId: number): string {
  return pairKey(mineId, otherId);
}

/**
 * /matches on the pages the marks form was sent from (its `pages` field, "mutual=2&rings=3"),
 * so a tenant marking a suggestion on page 2 comes back to page 2. Only the three page
 * parameters are kept, each read as /matches reads it.
 */
function matchesBack(body: Record<string, unknown>): string {
  const sent = new URLSearchParams(typeof body.pages === 'string' ? body.pages.slice(0, 100) : '');
  return `/matches${matchesQuery(parseMatchPages(sent))}`;
}

/**
 * Interest marks, hidden suggestions and closing a swap. The conversation steps run
 * after the messages handlers' `load` (participants only; everyone else the same 404),
 * which puts the conversation on req.loaded.
 */
export function swapHandlers(ctx: RouteContext) {
  const { swaps, messages, listings } = ctx.services;

  const back = (body: Record<string, unknown>, s: Suggestion) =>
    body.return === 'hidden' ? '/matches/hidden' : `${matchesBack(body)}#s-${s.key.replace(/[:]/g, '-')}`;

  /** POST /swaps/marks — Interested / Not interested on a suggestion of my own active listing. */
  async function mark(req: Request, res: Response) {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const s = parseSuggestion(body.suggestion);
    if (!s || (body.interest !== 'yes' && body.interest !== 'no')) throw NotFound();
    try {
      const { conversationId } = await swaps.mark(req.user!, s, body.interest === 'yes');
      if (conversationId) {
        req.flash('success', 'swaps:flash.ring_conversation');
        return res.redirect(303, `/messages/${conversationId}`);
      }
    } catch (err) {
      if (isAppError(err) && err.status === 422) {
        req.flash('error', 'swaps:errors.too_many_marks', { max: MARKS_MAX });
        return res.redirect(303, back(body, s));
      }
      throw err;
    }
    req.flash('success', body.interest === 'yes' ? 'swaps:flash.interested' : 'swaps:flash.hidden');
    res.redirect(303, body.interest === 'yes' ? back(body, s) : matchesBack(body));
  }

  /** POST /swaps/marks/undo — take my mark back. */
  async function unmark(req: Request, res: Response) {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const s = parseSuggestion(body.suggestion);
    if (!s) throw NotFound();
    await swaps.unmark(req.user!, s);
    req.flash('success', 'swaps:flash.undone');
    res.redirect(303, '/matches/hidden');
  }

  /** GET /matches/hidden — what I marked "not interested", with undo. */
  async function hidden(req: Request, res: Response) {
    const user = req.user!;
    const rows = await swaps.hidden(user.id);
    const cards = await listings.cards([...new Set(rows.flatMap((h) => h.listingIds))]);
    const items = rows.map((h) => ({
      key: h.key,
      kind: h.kind,
      // The other homes of the suggestion that are still on the board.
      homes: h.listingIds
        .map((id) => cards.get(id))
        .filter((l): l is Listing => !!l && l.userId !== user.id && l.status === 'active')
        .map((l) => presentListing(l, user, req.locale)),
    }));
    res.render('swaps/hidden', { items });
  }

  /** Before the thread page: its swap panel (views/swaps/_panel.ejs), who takes part and how far each has come. */
  async function panel(req: Request, res: Response, next: NextFunction) {
    const conversation = req.loaded.conversation!;
    const state = await swaps.state(req.user!.id, conversation.id);
    if (state) res.locals.swapPanel = { conversationId: conversation.id, ...state };
    next();
  }

  /** POST /messages/:id/agree — "We have agreed to swap". */
  async function agree(req: Request, res: Response) {
    const conversation = req.loaded.conversation!;
    await swaps.agree(req.user!, conversation.id);
    req.flash('success', 'swaps:flash.agreed');
    res.redirect(303, `/messages/${conversation.id}#swap`);
  }

  /** POST /messages/:id/agree/undo — take my agreement back while not all have agreed. */
  async function disagree(req: Request, res: Response) {
    const conversation = req.loaded.conversation!;
    try {
      await swaps.disagree(req.user!, conversation.id);
    } catch (err) {
      if (!isAppError(err) || err.status !== 409) throw err;
      req.flash('error', 'swaps:errors.already_agreed');
    }
    res.redirect(303, `/messages/${conversation.id}#swap`);
  }

  /** GET /messages/:id/summary — the printable summary for the landlord, once all agreed. */
  async function summary(req: Request, res: Response) {
    const conversation = req.loaded.conversation!;
    const found = await swaps.summary(req.user!.id, conversation.id);
    if (!found) {
      req.flash('error', 'swaps:errors.not_agreed');
      return res.redirect(303, `/messages/${conversation.id}#swap`);
    }
    const locale = req.locale as Locale;
    res.render('swaps/summary', {
      conversationId: conversation.id,
      agreedAt: found.agreedAt,
      printedAt: ctx.clock(),
      homes: found.homes.map((h) => ({ ...h, districtName: districtName(h.district, locale) })),
    });
  }

  /** POST /messages/:id/swapped — "We have swapped": my listing closes. */
  async function swapped(req: Request, res: Response) {
    const conversation = req.loaded.conversation!;
    try {
      await swaps.swapped(req.user!, conversation.id);
    } catch (err) {
      if (!isAppError(err) || err.status !== 409) throw err;
      req.flash('error', 'swaps:errors.not_agreed');
      return res.redirect(303, `/messages/${conversation.id}#swap`);
    }
    res.redirect(303, '/swaps/done');
  }

  /** GET /swaps/done — congratulations; delete the account now or keep it until the purge. */
  function done(_req: Request, res: Response) {
    res.render('swaps/done');
  }

  /**
   * POST /messages/:id/block with user_id: blocks that tenant of a three-way conversation
   * (who must take part in it). Without user_id the messages handler blocks the other
   * tenant of a pair.
   */
  async function blockOne(req: Request, res: Response, next: NextFunction) {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (body.user_id === undefined) return next();
    const conversation = req.loaded.conversation!;
    const target = parseId(body.user_id);
    if (!target || target === req.user!.id || !conversation.participantIds.includes(target)) throw NotFound();
    await messages.block(req.user!, conversation, target);
    req.flash('success', 'messages:flash.blocked');
    res.redirect(303, `/messages/${conversation.id}`);
  }

  return { mark, unmark, hidden, panel, agree, disagree, summary, swapped, done, blockOne };
}
