import compression from 'compression';
import express, { type Express, type RequestHandler, type Response } from 'express';
import { createAssets } from './assets';
import { configurePassport } from './auth/passport';
import type { AppDeps } from './context';
import { DatabaseUnavailable } from './errors';
import { createDatabaseHealth, type DatabaseHealth } from './health';
import { absoluteTimeout } from './middleware/auth';
import { csrfLocals, csrfProtection } from './middleware/csrf';
import { errorHandler, notFound } from './middleware/errors';
import { flash } from './middleware/flash';
import { keepFormAfterTimeout } from './middleware/kept-form';
import { templateLocals } from './middleware/locals';
import { presentCurrentUser } from './presenters/user';
import { noIndexByDefault, noStoreWhenSignedIn, refuseBadQuery, refuseNonUtf8Form, securityHeaders } from './middleware/security';
import { createSessionStore, saveSessionBeforeRedirect, sessionMiddleware, type BoardStore } from './middleware/session';
import { createPageCache } from './middleware/page-cache';
import { markSecondFactor } from './middleware/second-factor';
import { unreadTotalLocal } from './middleware/unread';
import { isVisitorPage, limitSearches } from './middleware/visitor-pages';
import { PUBLIC_DIR, VIEWS_DIR } from './paths';
import { probeRoutes, routes } from './routes';
import { servePublicPhotos } from './routes/photos';
import { parsePhotoUploads } from './middleware/photo-upload';
import { createServices, type Services } from './services';
import { MESSAGE_LIMITS } from './validation/messages';
import { createViewEngine } from './view-engine';

/** Names each app's database hook, so an app can remove its own (tests build many). */
let appCount = 0;

export interface BoardApp {
  app: Express;
  services: Services;
  sessionStore: BoardStore;
  health: DatabaseHealth;
  /** Stops timers and hooks the app started (session sweeper, page cache); the database is the caller's. */
  close(): void;
  /**
   * Resolves when no request is being handled. A request whose client went away keeps
   * running to its answer (a registration still hashes and inserts); shutdown waits for
   * it before closing the database, which `server.close()` alone does not, since the
   * connection is already gone.
   */
  settled(): Promise<void>;
}

/** Counts the requests whose answer has not been ended yet. */
function trackRequests() {
  let running = 0;
  const waiting: (() => void)[] = [];
  const middleware: RequestHandler = (_req, res, next) => {
    running += 1;
    let counted = true;
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    res.end = ((...args: unknown[]) => {
      if (counted) {
        counted = false;
        running -= 1;
        if (running === 0) for (const resolve of waiting.splice(0)) resolve();
      }
      return end(...args);
    }) as typeof res.end;
    next();
  };
  const settled = () => (running === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiting.push(resolve)));
  return { middleware, settled };
}

// Builds the whole app from its dependencies and never listens: server/index.ts does
// that, and the tests drive this with supertest.
export function createApp(deps: AppDeps): BoardApp {
  const { config, logger } = deps;
  const app = express();
  const sessionStore = createSessionStore(deps.db, config);
  const services = createServices(deps, sessionStore);
  const passport = configurePassport(services.accounts);
  const health = deps.health ?? createDatabaseHealth(deps.db, logger, config.database.storage);

  const requests = trackRequests();
  app.use(requests.middleware);
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  // Templates are compiled, and their includes found, once outside development.
  app.engine('ejs', createViewEngine({ cache: config.env !== 'development' }));
  app.set('view engine', 'ejs');
  app.set('views', VIEWS_DIR);
  app.set('view cache', config.env !== 'development');
  app.set('query parser', 'simple');

  app.use(securityHeaders());
  // gzip or brotli for pages and anything else compressible; the files under public/
  // and the page cache's pages come compressed in advance and are passed through.
  app.use(compression());
  const assets = createAssets(PUBLIC_DIR, { development: config.env === 'development' });
  app.locals.asset = assets.url;
  // The message forms' limits, for the textareas' maxlength (the schema checks the same).
  app.locals.messageLimits = MESSAGE_LIMITS;
  app.use(assets.serve);
  // The health probes (and the benchmark's bare route) answer before any session work.
  app.use(probeRoutes(health, { benchBareRoute: !!config.benchBareRoute }));

  app.use(refuseBadQuery);
  // Photos of active listings, straight from the database before any session work.
  app.use(servePublicPhotos(services.photos));
  // Anonymous search and listing pages from memory, before any session work.
  const pageCache = createPageCache(deps.db.sequelize, config.pageCacheMs, `pageCache${++appCount}`, deps.cacheBus);
  app.use(pageCache.serve(isVisitorPage, limitSearches(deps)));
  // With the database away, answer 503 at once instead of queueing behind it.
  app.use((_req, _res, next) => {
    next(health.ready ? undefined : DatabaseUnavailable());
  });

  app.use(express.urlencoded({ extended: false, limit: '256kb', parameterLimit: 300, verify: refuseNonUtf8Form }));
  app.use(sessionMiddleware(sessionStore, config));
  app.use(saveSessionBeforeRedirect);
  app.use(passport.initialize());
  app.use(passport.session());
  // The listing form and the photos page are multipart: their fields (the CSRF token
  // among them, and the text a form sent after the session's end keeps) are read here,
  // a signed-in tenant's files kept in memory for the route.
  app.use(parsePhotoUploads);
  app.use(absoluteTimeout(deps));
  app.use(markSecondFactor);
  app.use(noStoreWhenSignedIn);
  app.use(noIndexByDefault);
  app.use(flash);
  const locals = templateLocals(presentCurrentUser);
  app.use(locals.handler);
  app.use(unreadTotalLocal(services));
  app.use(csrfLocals);
  app.use(keepFormAfterTimeout(deps));
  app.use(csrfProtection);

  app.use((req, _res, next) => {
    const started = process.hrtime.bigint();
    _res.on('finish', () => {
      logger.debug(
        {
          method: req.method,
          route: req.route?.path,
          status: _res.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
          userId: req.user?.id,
        },
        'request',
      );
    });
    next();
  });

  app.use(routes({ ...deps, services, pageCache }, passport));

  app.use(notFound);
  app.use(errorHandler(logger, config.env === 'development', locals.set, health));

  return {
    app,
    services,
    sessionStore,
    health,
    settled: requests.settled,
    close: () => {
      sessionStore.stopExpiringSessions();
      pageCache.close();
      // close() is synchronous for its callers; stopping the probe only clears timers and
      // closes the probe's own connection, and never rejects.
      void health.stop();
    },
  };
}
