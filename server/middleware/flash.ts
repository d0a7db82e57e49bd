import type { RequestHandler } from 'express';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Queues a one-time message (an i18n key) for the next page this visitor sees. */
      flash(type: 'success' | 'info' | 'error', key: string, params?: Record<string, unknown>): void;
    }
  }
}

// A flash message survives one redirect. Only i18n keys are stored, never user text.
export const flash: RequestHandler = (req, res, next) => {
  req.flash = (type, key, params) => {
    if (!req.session) return;
    req.session.flash = [...(req.session.flash ?? []), { type, key, params }];
  };
  const pending = req.session?.flash;
  res.locals.flashes = [];
  if (pending && pending.length > 0 && req.method === 'GET') {
    res.locals.flashes = pending;
    delete req.session.flash;
  }
  next();
};
