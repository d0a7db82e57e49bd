import type { RequestHandler } from 'express';
import type { Services } from '../services';

/** Sets the header's unread count for a signed-in tenant (one indexed SUM). */
export function unreadTotalLocal(services: Pick<Services, 'messages'>): RequestHandler {
  return async function unreadTotal(req, res, next) {
    if (req.user) res.locals.unreadTotal = await services.messages.unreadTotal(req.user.id);
    next();
  };
}
