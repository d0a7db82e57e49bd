import { Router } from 'express';
import { isLocale } from '../i18n';
import { safeNext } from '../middleware/auth';
import { setLanguageCookie } from '../middleware/locals';
import type { RouteContext } from '../services';

export function pagesRouter(ctx: RouteContext): Router {
  const router = Router();

  router.get('/', (_req, res) => {
    res.locals.allowIndexing = true;
    res.render('pages/home');
  });

  router.get('/privacy', (_req, res) => {
    res.locals.allowIndexing = true;
    res.render('pages/privacy', { org: ctx.config.org, retentionMonths: ctx.config.purge.retentionMonths, backupRetentionDays: ctx.config.backupRetentionDays });
  });

  router.get('/accessibility', (_req, res) => {
    res.render('pages/accessibility', { org: ctx.config.org });
  });

  // The language switcher is a plain link, so it works without JavaScript. The choice is
  // kept in a cookie for the visit only: a GET that any site can make (a link, an image)
  // must not change the account. The account's saved language is set on /account.
  router.get('/language', (req, res) => {
    const lang = req.query.lang;
    const back = safeNext(req.query.return);
    if (isLocale(lang)) setLanguageCookie(req, res, lang);
    res.redirect(303, back);
  });

  return router;
}
