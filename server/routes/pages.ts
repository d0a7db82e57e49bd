import type { Request, Response } from 'express';
import { LISTING_STATUS } from '../types/constants';
import { can } from '../policies';
import { presentListing } from '../presenters/listing';
import { isLocale } from '../i18n';
import { safeNext } from '../middleware/auth';
import { setLanguageCookie } from '../middleware/locals';
import type { RouteContext } from './context';

/** The board's own pages: the front page (or a tenant's start page) and the fixed texts. */
export function pageHandlers(ctx: RouteContext) {
  // Visitors get the board's front page; a signed-in tenant gets their own start page:
  // the state of their listing, the swaps that fit both ways and their unread messages.
  async function home(req: Request, res: Response) {
    const user = req.user;
    if (user && !user.isAdmin) {
      const mine = await ctx.services.listings.findByOwner(user.id);
      const matches = mine && mine.status === LISTING_STATUS.ACTIVE ? (await ctx.services.listings.matches(mine)).total : 0;
      return res.render('pages/start', {
        mine: mine ? presentListing(mine, user, req.locale) : null,
        matches,
        canPublish: can(user, 'listing.create'),
      });
    }
    res.locals.allowIndexing = true;
    res.render('pages/home');
  }

  function privacy(_req: Request, res: Response) {
    res.locals.allowIndexing = true;
    res.render('pages/privacy', {
      org: ctx.config.org,
      retentionMonths: ctx.config.purge.retentionMonths,
      backupRetentionDays: ctx.config.backupRetentionDays,
    });
  }

  // What to know before swapping: the operator's own text when configured, else ours.
  function beforeYouSwap(req: Request, res: Response) {
    res.locals.allowIndexing = true;
    res.render('pages/before-you-swap', { guide: ctx.config.swapGuide?.[req.locale] ?? null });
  }

  function accessibility(_req: Request, res: Response) {
    res.render('pages/accessibility', { org: ctx.config.org });
  }

  // The language switcher is a plain link, so it works without JavaScript. The choice is
  // kept in a cookie for the visit only: a GET that any site can make (a link, an image)
  // must not change the account. The account's saved language is set on /account.
  function language(req: Request, res: Response) {
    const lang = req.query.lang;
    const back = safeNext(req.query.return);
    if (isLocale(lang)) setLanguageCookie(req, res, lang);
    res.redirect(303, back);
  }

  return { home, privacy, beforeYouSwap, accessibility, language };
}
