import type { Express } from 'express';
import type { PassportStatic } from 'passport';
import type { RouteContext } from '../services';
import { adminRouter } from './admin';
import { accountRouter } from './account';
import { alertsRouter } from './alerts';
import { authRouter } from './auth';
import { listingsRouter } from './listings';
import { messagesRouter } from './messages';
import { myDataRouter } from './my-data';
import { pagesRouter } from './pages';
import { totpRouter } from './totp';

// The one route table: every URL the board answers is mounted here (SPEC §13).
export function mountRoutes(app: Express, ctx: RouteContext, passport: PassportStatic): void {
  app.use(pagesRouter(ctx));
  app.use(authRouter(ctx, passport));
  app.use(totpRouter(ctx));
  app.use('/account', myDataRouter(ctx));
  app.use('/account', accountRouter(ctx));
  // Before the listings: /listings/save-search is not a listing's :id.
  app.use(alertsRouter(ctx));
  app.use(listingsRouter(ctx));
  app.use(messagesRouter(ctx));
  app.use('/admin', adminRouter(ctx));
}
