import connectSessionSequelize from 'connect-session-sequelize';
import type { RequestHandler } from 'express';
import session, { type SessionData, type Store } from 'express-session';
import { Op } from 'sequelize';
import type { Db } from '../../models';
import { Session } from '../../models/session';
import type { Config } from '../config';

export interface BoardStore extends Store {
  /** Ends every session of one account, except (optionally) the one in use. */
  endAllFor(userId: number, exceptSid?: string): Promise<number>;
  stopExpiringSessions(): void;
}

/** The session cookie's name. */
export const SESSION_COOKIE = 'bb.sid';

/**
 * True when a session carries anything beyond its cookie (a sign-in, a CSRF token, a
 * flash message): such a session is stored, and a page rendered with it is nobody else's.
 */
export function sessionHoldsData(sess: object | undefined): boolean {
  return !!sess && Object.keys(sess).some((key) => key !== 'cookie');
}

/** The idle deadline is written at most this often per session (see touch below). */
const TOUCH_INTERVAL_MS = 60_000;
/** Remembered touches; the map is simply emptied when full (the next touch writes). */
const TOUCH_MEMORY = 50_000;

export function createSessionStore(db: Db, config: Config): BoardStore {
  const SequelizeStore = connectSessionSequelize(session.Store);
  const touchedAt = new Map<string, number>();
  class Store extends SequelizeStore {
    // connect-session-sequelize returns rows whose expiry has passed until its sweeper
    // removes them; an expired session must never be honoured, so check here too.
    override get(sid: string, fn: (err: unknown, data?: SessionData | null) => void) {
      Session.findByPk(sid)
        .then((row) => {
          if (!row || !row.data || (row.expires && row.expires.getTime() <= Date.now())) return fn(null, null);
          fn(null, JSON.parse(row.data) as SessionData);
        })
        .catch((err: unknown) => fn(err));
    }

    async endAllFor(userId: number, exceptSid?: string): Promise<number> {
      const where = exceptSid ? { userId, sid: { [Op.ne]: exceptSid } } : { userId };
      return Session.destroy({ where });
    }
  }
  const store = new Store({
    db: db.sequelize,
    table: 'Session',
    expiration: config.session.idleMs,
    checkExpirationInterval: 15 * 60 * 1000,
    // Copies the signed-in user's id into its own indexed column (see models/session.ts).
    extendDefaultFields: (defaults: { data: string; expires: Date }, data: SessionData) => ({
      data: defaults.data,
      expires: defaults.expires,
      userId: data.passport?.user ?? null,
    }),
  }) as unknown as BoardStore;

  // express-session touches the stored session on every request that does not change
  // it, which made every signed-in page view a database write. The idle deadline is
  // pushed forward at most once a minute per session instead: a session may end up to
  // a minute sooner than SESSION_IDLE_MINUTES after its last request, never later.
  const touch = store.touch!.bind(store);
  store.touch = (sid, data, fn) => {
    const now = Date.now();
    const last = touchedAt.get(sid);
    if (last !== undefined && now - last < TOUCH_INTERVAL_MS) return fn?.();
    if (touchedAt.size >= TOUCH_MEMORY) touchedAt.clear();
    touchedAt.set(sid, now);
    touch(sid, data, fn);
  };
  const destroy = store.destroy.bind(store);
  store.destroy = (sid, fn) => {
    touchedAt.delete(sid);
    destroy(sid, fn);
  };
  return store;
}

export function sessionMiddleware(store: BoardStore, config: Config): RequestHandler {
  const handler = session({
    name: SESSION_COOKIE,
    secret: config.sessionSecret,
    store,
    // Nothing is written for visitors who never sign in or fill in a form, and an
    // unchanged session is not rewritten on every request.
    resave: false,
    saveUninitialized: false,
    // Every response pushes the idle deadline forward; the store refuses the session
    // once it has passed, whatever the browser sends.
    rolling: true,
    cookie: {
      // Not readable from JavaScript; not sent on cross-site POSTs. Always Secure when
      // BASE_URL is https:// (the operator says browsers reach the board over TLS, even
      // if the proxy in front does not say so); with a plain http:// BASE_URL (a local
      // try-out, the operator allowing plain HTTP) Secure only on HTTPS requests, so
      // http://localhost keeps working.
      httpOnly: true,
      sameSite: 'lax',
      secure: config.secureCookie ? true : 'auto',
      maxAge: config.session.idleMs,
    },
  });
  if (!config.secureCookie) return handler;
  // express-session sets a Secure cookie only on requests it believes are HTTPS. Behind
  // a TLS proxy that is every request, whatever TRUST_PROXY says.
  return (req, res, next) => {
    Object.defineProperty(req, 'secure', { value: true, configurable: true });
    handler(req, res, next);
  };
}

/**
 * express-session saves a changed session when the response ends, but it sends the
 * status line and headers first and the save runs meanwhile. For a redirect that is a
 * race: the browser follows the Location at once and can arrive before the session that
 * holds the new sign-in, the pending second factor or the flash message is in the store.
 * So a redirect waits for the session to be saved. A brand-new session with nothing in
 * it is left alone (saveUninitialized is false: anonymous visitors get no row).
 */
export const saveSessionBeforeRedirect: RequestHandler = (req, res, next) => {
  const redirect = res.redirect.bind(res) as (...args: unknown[]) => void;
  res.redirect = ((...args: unknown[]) => {
    const sess = req.session as typeof req.session | undefined;
    if (!sess || !sessionHoldsData(sess)) return redirect(...args);
    sess.save((err) => (err ? next(err) : redirect(...args)));
  }) as typeof res.redirect;
  next();
};
