import passport, { type PassportStatic } from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import type { User } from '../../models/user';

/** What signing in needs from the accounts service (app.ts passes the service itself). */
export interface SignInAccounts {
  authenticate(identifier: string, password: string, ip: string): Promise<User>;
  /** The account behind a session, or null when it is gone or suspended. */
  signedIn(id: number): Promise<User | null>;
}

// Only the user's numeric id goes into the session; the account is loaded afresh on
// every request, so a suspension or deletion takes effect at once.
export function configurePassport(accounts: SignInAccounts): PassportStatic {
  const instance = new passport.Passport() as unknown as PassportStatic;
  instance.use(
    new LocalStrategy(
      { usernameField: 'username', passwordField: 'password', passReqToCallback: true },
      (req, username, password, done) => {
        accounts
          .authenticate(username, password, req.ip ?? 'unknown')
          .then((user) => done(null, user))
          .catch((err: unknown) => done(err));
      },
    ),
  );
  instance.serializeUser((user, done) => done(null, (user as User).id));
  instance.deserializeUser((id: unknown, done) => {
    if (typeof id !== 'number') return done(null, false);
    accounts
      .signedIn(id)
      .then((user) => done(null, user ?? false))
      .catch((err: unknown) => done(err));
  });
  return instance;
}
