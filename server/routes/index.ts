import type { Express } from 'express';
import type { PassportStatic } from 'passport';
import type { RouteContext } from '../services';
import { accountRouter } from './account';
import { authRouter } from './auth';
import { messagesRouter } from './messages';
import { pagesRouter } from './pages';

// The one route table: every URL the board answers is mounted here (SPEC §13).
export function mountRoutes(app: Express, ctx: RouteContext, passport: PassportStatic): void {
  app.use(pagesRouter(ctx));
  app.use(authRouter(ctx, passport));
  app.use('/account', accountRouter(ctx));
  app.use(messagesRouter(ctx));
}
