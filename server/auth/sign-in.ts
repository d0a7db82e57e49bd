import type { Request } from 'express';
import type { User } from '../../models/user';

/**
 * Signs the user in on this request: Passport regenerates the session (a new id, so a
 * session fixed before sign-in is worthless) and stores only the user id.
 */
export function establishSession(req: Request, user: User, now: Date): Promise<void> {
  // Text kept from a form sent after the idle limit (middleware/kept-form.ts) survives
  // the new session; nothing else of the old one does.
  const keptForm = req.session?.keptForm;
  return new Promise((resolve, reject) => {
    req.login(user, (err) => {
      if (err) return reject(err);
      req.session.authAt = now.getTime();
      if (keptForm) req.session.keptForm = keptForm;
      resolve();
    });
  });
}

/**
 * Gives the signed-in session a new id (after a password change), keeping when it was
 * signed in, its second factor and its language; the old id stops working at once.
 */
export function rotateSession(req: Request): Promise<void> {
  const user = req.user!;
  const { authAt, secondFactor, locale } = req.session;
  return new Promise((resolve, reject) => {
    req.login(user, (err) => {
      if (err) return reject(err);
      Object.assign(req.session, { authAt, secondFactor, locale });
      resolve();
    });
  });
}
