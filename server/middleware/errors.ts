import type { ErrorRequestHandler, RequestHandler } from 'express';
import { isAppError } from '../errors';
import { isDatabaseUnavailable, type DatabaseHealth } from '../health';
import type { Logger } from '../logger';
import type { SetTemplateLocals } from './locals';

export const notFound: RequestHandler = (_req, res) => {
  res.status(404).render('errors/error', { status: 404, errorId: 'not_found' });
};

// The one error handler. Known errors render their page with their status; anything
// else is a 500 whose details go to the log (by name and stack, never request data)
// and never to the visitor.
export function errorHandler(
  logger: Logger,
  showStack: boolean,
  setTemplateLocals: SetTemplateLocals,
  health?: Pick<DatabaseHealth, 'reportFailure'>,
): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    let status = 500;
    let errorId = 'internal';
    const e = err as { status?: number; statusCode?: number; code?: string; type?: string; name?: string; stack?: string };
    if (isAppError(err)) {
      status = err.status;
      errorId = err.id;
      if (err.details.retryAfterSeconds) res.set('Retry-After', String(err.details.retryAfterSeconds));
    } else if (e?.code === 'EBADCSRFTOKEN') {
      status = 403;
      errorId = 'csrf_failed';
    } else if (e?.type === 'entity.too.large') {
      status = 413;
      errorId = 'too_large';
    } else if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
      status = e.status;
      errorId = 'bad_request';
    } else if (isDatabaseUnavailable(err)) {
      // Not a bug: the database is away. A short page, and the next requests get it at once.
      status = 503;
      errorId = 'db_unavailable';
      res.set('Retry-After', '5');
      health?.reportFailure();
      logger.warn({ err: { name: e?.name ?? 'Error', code: e?.code }, route: req.route?.path }, 'database unavailable');
    }
    if (status >= 500 && status !== 503) {
      const stack = (e?.stack ?? '').split('\n').slice(1).join('\n');
      logger.error({ err: { name: e?.name ?? 'Error', stack }, route: req.route?.path, userId: req.user?.id }, 'request failed');
    }
    res.status(status);
    res.set('X-Robots-Tag', 'noindex, nofollow');
    // The handler itself must never fail: whatever goes wrong while building the page
    // (locals from a malformed request, a template error) ends in a plain-text answer
    // with the same status.
    const plain = () => {
      if (!res.headersSent) res.type('text/plain');
      res.end(`${status}\n`);
    };
    try {
      // Errors raised before the locals middleware ran (a body too large, say) still get a full page.
      if (!res.locals.t) setTemplateLocals(req, res);
      if (res.locals.allowIndexing) res.removeHeader('X-Robots-Tag');
      const params = isAppError(err) ? err.details.params : undefined;
      const retryAfterMinutes =
        isAppError(err) && err.details.retryAfterSeconds ? Math.ceil(err.details.retryAfterSeconds / 60) : undefined;
      if (req.accepts(['html', 'json']) === 'json' && !req.accepts('html')) {
        res.json({ error: errorId });
        return;
      }
      res.render(
        'errors/error',
        {
          status,
          errorId,
          reason: isAppError(err) ? (err.details.reason ?? null) : null,
          params: { ...params, minutes: retryAfterMinutes },
          stack: showStack && status >= 500 ? e?.stack : undefined,
        },
        (renderErr: Error | null, html?: string) => {
          if (renderErr) {
            logger.error({ err: { name: renderErr.name } }, 'error page failed');
            return plain();
          }
          res.send(html);
        },
      );
    } catch (handlerErr) {
      logger.error({ err: { name: (handlerErr as Error)?.name ?? 'Error' } }, 'error handler failed');
      plain();
    }
  };
}
