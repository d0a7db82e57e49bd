import fs from 'node:fs';
import express, { type Express, type RequestHandler } from 'express';
import { configurePassport } from './auth/passport';
import type { AppDeps } from './context';
import { absoluteTimeout } from './middleware/auth';
import { csrfLocals, csrfProtection } from './middleware/csrf';
import { errorHandler, notFound } from './middleware/errors';
import { flash } from './middleware/flash';
import { keepFormAfterTimeout } from './middleware/kept-form';
import { templateLocals } from './middleware/locals';
import { noIndexByDefault, noStoreWhenSignedIn, securityHeaders } from './middleware/security';
import { createSessionStore, saveSessionBeforeRedirect, sessionMiddleware, type BoardStore } from './middleware/session';
import { createPageCache } from './middleware/page-cache';
import { PUBLIC_DIR, VIEWS_DIR } from './paths';
import { mountRoutes } from './routes';
import { isVisitorPage, limitSearches } from './routes/listings';
import { unreadTotalLocal } from './routes/messages';
import { createServices, type Services } from './services';

// express.static asks the file system about every URL, and a miss (every page) builds
// an Error with a stack trace. Only paths under public/'s own top-level entries (css/,
// js/, img/) are handed to it; everything else goes straight on to the pages.
function publicFiles(isProduction: boolean): RequestHandler {
  const serve = express.static(PUBLIC_DIR, { index: false, maxAge: isProduction ? '7d' : 0, fallthrough: true });
  const entries = new Set(fs.readdirSync(PUBLIC_DIR));
  return (req, res, next) => {
    const first = req.path.split('/', 2)[1];
    if (!first || !entries.has(first)) return next();
    serve(req, res, next);
  };
}

/** Names each app's database hook, so an app can remove its own (tests build many). */
let appCount = 0;

export interface BoardApp {
  app: Express;
  services: Services;
  sessionStore: BoardStore;
  /** Stops timers and hooks the app started (session sweeper, page cache); the database is the caller's. */
  close(): void;
}

// Builds the whole app from its dependencies and never listens: server/index.ts does
// that, and the tests drive this with supertest.
export function createApp(deps: AppDeps): BoardApp {
  const { config, logger } = deps;
  const app = express();
  const sessionStore = createSessionStore(deps.db, config);
  const services = createServices(deps, sessionStore);
  const passport = configurePassport(services.accounts);

  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('view engine', 'ejs');
  app.set('views', VIEWS_DIR);
  // Compiled templates are cached outside development.
  app.set('view cache', config.env !== 'development');
  app.set('query parser', 'simple');

  app.use(securityHeaders());
  app.use(publicFiles(config.isProduction));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  if (config.benchBareRoute) {
    // The benchmark's ceiling: the cheapest answer this process can give, behind the
    // same security headers as every page.
    app.get('/bench/bare', (_req, res) => {
      res.type('text/plain').send('ok');
    });
  }

  // Anonymous search and listing pages from memory, before any session work.
  const pageCache = createPageCache(deps.db.sequelize, config.pageCacheMs, `pageCache${++appCount}`);
  app.use(pageCache.serve(isVisitorPage, limitSearches(deps)));

  app.use(express.urlencoded({ extended: false, limit: '256kb', parameterLimit: 300 }));
  app.use(sessionMiddleware(sessionStore, config));
  app.use(saveSessionBeforeRedirect);
  app.use(passport.initialize());
  app.use(passport.session());
  app.use(absoluteTimeout(deps));
  app.use(noStoreWhenSignedIn);
  app.use(noIndexByDefault);
  app.use(flash);
  app.use(templateLocals);
  app.use(unreadTotalLocal({ ...deps, services }));
  app.use(csrfLocals);
  app.use(keepFormAfterTimeout(deps));
  app.use(csrfProtection);

  app.use((req, _res, next) => {
    const started = process.hrtime.bigint();
    _res.on('finish', () => {
      logger.debug(
        { method: req.method, route: req.route?.path, status: _res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6, userId: req.user?.id },
        'request',
      );
    });
    next();
  });

  mountRoutes(app, { ...deps, services, pageCache }, passport);

  app.use(notFound);
  app.use(errorHandler(logger, config.env === 'development'));

  return {
    app, services, sessionStore,
    close: () => {
      sessionStore.stopExpiringSessions();
      pageCache.close();
    },
  };
}

