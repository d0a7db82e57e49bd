import passport, { type PassportStatic } from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { User } from '../../models/user';
import type { AccountService } from '../services/accounts';

// Only the user's numeric id goes into the session; the account is loaded afresh on
// every request, so a suspension or deletion takes effect at once.
export function configurePassport(accounts: AccountService): PassportStatic {
  const instance = new passport.Passport() as unknown as PassportStatic;
  instance.use(
    new LocalStrategy({ usernameField: 'username', passwordField: 'password', passReqToCallback: true }, (req, username, password, done) => {
      accounts
        .authenticate(username, password, req.ip ?? 'unknown')
        .then((user) => done(null, user))
        .catch((err: unknown) => done(err));
    }),
  );
  instance.serializeUser((user, done) => done(null, (user as User).id));
  instance.deserializeUser((id: unknown, done) => {
    if (typeof id !== 'number') return done(null, false);
    User.findByPk(id)
      .then((user) => done(null, user && !user.isSuspended ? user : false))
      .catch((err: unknown) => done(err));
  });
  return instance;
}
