import type { RequestHandler } from 'express';
import helmet from 'helmet';

// Everything a page needs is served by the app itself: no CDN, no fonts or analytics from
// elsewhere. The CSP makes that a rule the browser enforces, and forbids inline script.
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginEmbedderPolicy: false,
    xFrameOptions: { action: 'deny' },
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
  });
}

/** Signed-in pages may hold personal data: never keep them in any cache. */
export const noStoreWhenSignedIn: RequestHandler = (req, res, next) => {
  if (req.user) res.set('Cache-Control', 'no-store');
  next();
};

/**
 * Every page but the landing page and the privacy notice asks search engines not to
 * index it. Handlers of indexable pages call `res.locals.allowIndexing = true`.
 */
export const noIndexByDefault: RequestHandler = (_req, res, next) => {
  res.locals.allowIndexing = false;
  const end = res.render.bind(res);
  res.render = ((view: string, options?: object, cb?: never) => {
    if (!res.locals.allowIndexing) res.set('X-Robots-Tag', 'noindex, nofollow');
    return end(view, options as object, cb);
  }) as typeof res.render;
  next();
};
