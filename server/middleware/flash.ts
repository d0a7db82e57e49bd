import type { RequestHandler } from 'express';

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
