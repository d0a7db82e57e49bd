import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { Session } from '../../models/session';
import { Token } from '../../models/token';
import { User } from '../../models/user';
import { context } from '../helpers/context';
import { createModerator, createUser, DEFAULT_PASSWORD } from '../helpers/factories';
import { agent, csrfToken, linkIn, signIn, submit } from '../helpers/http';

const GOOD = {
  username: 'kallio_kaisa',
  email: 'kaisa@example.fi',
  phone: '',
  password: 'a long walk by the sea',
  password_confirm: 'a long walk by the sea',
};

describe('POST /register', () => {
  it('creates the account, says "check your inbox" and e-mails a verification link; the tenant signs in', async () => {
    const a = agent();
    const res = await submit(a, '/register', GOOD, '/register');
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/login');
    expect((await a.get('/login')).text).to.contain('Kolla din inkorg');
    const user = await User.findOne({ where: { usernameLower: 'kallio_kaisa' } });
    expect(user).to.not.equal(null);
    expect(user!.emailVerifiedAt).to.equal(null);
    // Hashed with the configured cost (the suite runs the cheapest; the defaults are checked in test/unit).
    const { memoryCost, timeCost } = context().config.argon2;
    expect(user!.passwordHash).to.match(new RegExp(`^\\$argon2id\\$v=19\\$m=${memoryCost},p=1,t=${timeCost}\\$`));
    expect(user!.lastLoginAt.getTime()).to.be.closeTo(Date.now(), 5000);
    const mail = context().mailer.last('kaisa@example.fi');
    expect(mail?.subject).to.equal('Bekräfta din e-postadress');
    await signIn('kallio_kaisa', GOOD.password, a);
    const account = await a.get('/account');
    expect(account.status).to.equal(200);
    expect(account.text).to.contain('kallio_kaisa');
  });

  it('checks every field of an empty form in one pass and names each field (Finnish)', async () => {
    const a = agent();
    const token = await csrfToken(a, '/register');
    const res = await a.post('/register').set('Accept-Language', 'fi').type('form').send({ _csrf: token });
    expect(res.status).to.equal(422);
    for (const text of ['Anna käyttäjätunnus.', 'Anna sähköpostiosoite.', 'Anna salasana.'])
      expect(res.text, text).to.contain(text);
    for (const field of ['username', 'email', 'password']) expect(res.text, field).to.contain(`href="#field-${field}"`);
    expect(res.text).to.not.contain('Täytä kenttä.');
  });

  it('reports a bad username, e-mail, phone and a missing confirmation together and says why the passwords were cleared (Swedish)', async () => {
    const res = await submit(
      agent(),
      '/register',
      { ...GOOD, username: 'a b', email: 'nope', phone: 'x', password_confirm: '' },
      '/register',
    );
    expect(res.status).to.equal(422);
    for (const field of ['username', 'email', 'phone', 'password_confirm'])
      expect(res.text, field).to.contain(`id="field-${field}-error"`);
    expect(res.text).to.contain('Skriv lösenordet en gång till.');
    expect(res.text).to.contain('Av säkerhetsskäl sparas inte lösenorden i formuläret.');
  });

  it('asks about message notices with "yes" chosen, and turns them on unless the tenant says no', async () => {
    const page = await agent().get('/register').set('Accept-Language', 'fi');
    expect(page.text).to.match(/name="notify_messages" value="on" checked/);
    expect(page.text).to.contain('Ilmoitetaanko sinulle sähköpostilla uusista viesteistä?');
    await submit(agent(), '/register', GOOD, '/register');
    expect((await User.findOne({ where: { usernameLower: 'kallio_kaisa' } }))!.notifyMessages).to.equal(true);
    await submit(
      agent(),
      '/register',
      { ...GOOD, username: 'no_notices', email: 'no@example.fi', notify_messages: 'off' },
      '/register',
    );
    expect((await User.findOne({ where: { usernameLower: 'no_notices' } }))!.notifyMessages).to.equal(false);
  });

  it('re-renders the form with 422 and keeps the input when the password is too short', async () => {
    const res = await submit(agent(), '/register', { ...GOOD, password: 'short', password_confirm: 'short' }, '/register');
    expect(res.status).to.equal(422);
    expect(res.text).to.contain('Lösenordet ska ha minst 12 tecken.');
    expect(res.text).to.match(/id="field-password"[^>]*aria-invalid="true"/);
    expect(res.text).to.contain('value="kallio_kaisa"');
    expect(res.text).to.contain('value="kaisa@example.fi"');
    expect(res.text).to.not.contain('short"');
    expect(await User.count()).to.equal(0);
  });

  it('refuses a common password from the shipped list', async () => {
    const res = await submit(
      agent(),
      '/register',
      { ...GOOD, password: 'qwerty123456', password_confirm: 'qwerty123456' },
      '/register',
    );
    expect(res.status).to.equal(422);
    expect(res.text).to.contain('Lösenordet är för vanligt');
  });

  it('refuses a password longer than 128 characters', async () => {
    const long = 'x'.repeat(60) + 'y'.repeat(69);
    const res = await submit(agent(), '/register', { ...GOOD, password: long, password_confirm: long }, '/register');
    expect(res.status).to.equal(422);
    expect(res.text).to.contain('högst 128 tecken');
  });

  it('tells the tenant when the two passwords differ', async () => {
    const res = await submit(agent(), '/register', { ...GOOD, password_confirm: 'a long walk by the lake' }, '/register');
    expect(res.status).to.equal(422);
    expect(res.text).to.contain('Lösenorden är inte likadana.');
  });

  it('rejects usernames with spaces or of the wrong length, next to the field', async () => {
    for (const username of ['ab', 'has space', 'x'.repeat(31), '<script>']) {
      const res = await submit(agent(), '/register', { ...GOOD, username }, '/register');
      expect(res.status, username).to.equal(422);
      expect(res.text).to.match(/id="field-username-error"/);
    }
  });

  it('treats usernames as unique ignoring case', async () => {
    await createUser({ username: 'Kallio_Kaisa' });
    const res = await submit(agent(), '/register', GOOD, '/register');
    expect(res.status).to.equal(422);
    expect(res.text).to.contain('Användarnamnet är redan upptaget');
  });

  it("answers a registered address exactly as a new one, and mails the address's owner instead", async () => {
    await createUser({ username: 'someone', email: 'kaisa@example.fi' });
    const mailer = context().mailer;
    mailer.clear();
    const a = agent();
    const taken = await submit(a, '/register', GOOD, '/register');
    const b = agent();
    const fresh = await submit(b, '/register', { ...GOOD, username: 'other_name', email: 'fresh@example.fi' }, '/register');
    expect(taken.status).to.equal(fresh.status);
    expect(taken.headers.location).to.equal(fresh.headers.location);
    const [takenPage, freshPage] = [await a.get('/login'), await b.get('/login')];
    expect(takenPage.text.replace(/name="_csrf" value="[^"]+"/, '')).to.equal(
      freshPage.text.replace(/name="_csrf" value="[^"]+"/, ''),
    );
    // No second account; the owner hears of the attempt, in their language, with no link to act on.
    expect(await User.count({ where: { usernameLower: 'kallio_kaisa' } })).to.equal(0);
    const notice = mailer.last('kaisa@example.fi')!;
    expect(notice.subject).to.equal('Någon försökte använda din e-postadress');
    expect(notice.text).to.contain('Hej someone!');
    expect(notice.text).to.not.contain('/verify-email');
  });

  it('rejects a malformed e-mail and a malformed phone number', async () => {
    const res = await submit(agent(), '/register', { ...GOOD, email: 'not-an-address', phone: 'call me' }, '/register');
    expect(res.status).to.equal(422);
    expect(res.text).to.match(/id="field-email-error"/);
    expect(res.text).to.match(/id="field-phone-error"/);
  });

  it('answers 422, never 500, to missing fields, arrays and 100 KB strings', async () => {
    const a = agent();
    const token = await csrfToken(a, '/register');
    const missing = await a.post('/register').type('form').send({ _csrf: token });
    expect(missing.status).to.equal(422);
    const arrays = await a.post('/register').type('form').send(`_csrf=${token}&username=a&username=b&email=x&email=y`);
    expect(arrays.status).to.equal(422);
    const huge = await a
      .post('/register')
      .type('form')
      .send({ _csrf: token, ...GOOD, username: 'x'.repeat(100_000) });
    expect(huge.status).to.equal(422);
    expect(huge.text).to.match(/id="field-username-error"/);
  });

  it('escapes what the visitor typed when showing it again', async () => {
    const res = await submit(agent(), '/register', { ...GOOD, username: '"><script>alert(1)</script>' }, '/register');
    expect(res.status).to.equal(422);
    expect(res.text).to.not.contain('<script>alert(1)</script>');
    expect(res.text).to.contain('&lt;script&gt;');
  });

  it('answers 403 to a registration without a CSRF token', async () => {
    const res = await agent().post('/register').type('form').send(GOOD);
    expect(res.status).to.equal(403);
    expect(await User.count()).to.equal(0);
  });
});

describe('GET /verify-email', () => {
  it('verifies the address with the e-mailed link, once', async () => {
    const a = agent();
    await submit(a, '/register', GOOD, '/register');
    // Registration answers "check your inbox"; the tenant signs in, then follows the link.
    await signIn(GOOD.username, GOOD.password, a);
    const link = linkIn(context().mailer.last('kaisa@example.fi')!.text, '/verify-email');
    const res = await a.get(link);
    expect(res.status).to.equal(303);
    const user = await User.findOne({ where: { usernameLower: 'kallio_kaisa' } });
    expect(user!.emailVerifiedAt).to.be.instanceOf(Date);
    // Clicking it again says the address is already confirmed, with the next step.
    const again = await a.get(link);
    expect(again.status).to.equal(303);
    expect(again.headers.location).to.equal('/account');
    expect((await a.get('/account')).text).to.contain('Din e-postadress är redan bekräftad.');
  });

  it('tells a tenant who is signed out and reuses the link in Finnish that the address is already confirmed', async () => {
    await submit(agent(), '/register', GOOD, '/register');
    const link = linkIn(context().mailer.last('kaisa@example.fi')!.text, '/verify-email');
    await agent().get(link);
    const b = agent();
    const again = await b.get(link).set('Accept-Language', 'fi');
    expect(again.status).to.equal(303);
    expect(again.headers.location).to.equal('/login');
    const login = await b.get('/login').set('Accept-Language', 'fi');
    expect(login.text).to.contain('Sähköpostiosoitteesi on jo vahvistettu. Kirjaudu sisään');
    expect(login.text).to.not.contain('Linkki on virheellinen');
  });

  it('answers 400 with a clear page to a made-up token', async () => {
    const res = await agent().get('/verify-email?token=' + 'x'.repeat(43));
    expect(res.status).to.equal(400);
    expect(res.text).to.contain('Länken är ogiltig');
  });

  it('stores only a hash of the token', async () => {
    await submit(agent(), '/register', GOOD, '/register');
    const link = linkIn(context().mailer.last()!.text, '/verify-email');
    const raw = new URL('http://x' + link).searchParams.get('token')!;
    const row = await Token.findOne();
    expect(row!.tokenHash).to.not.equal(raw);
    expect(row!.tokenHash).to.have.length(64);
  });
});

describe('POST /login', () => {
  it('sends the redirect only once the session is stored, so the next page finds it', async () => {
    // A browser follows a Location header the moment it arrives; express-session sends
    // the headers while its save is still running. A moderator's password step is the
    // sharpest case: nothing else saves the fresh session holding the pending second factor.
    const moderator = await createModerator();
    const { board } = context();
    const server = http.createServer(board.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const store = board.sessionStore as unknown as { set: (sid: string, data: unknown, cb?: (err?: unknown) => void) => void };
    const originalSet = store.set;
    try {
      const page = await fetch(`${base}/login`);
      const cookie = page.headers.get('set-cookie')!.split(';')[0];
      const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1];
      // A slow database: every session write takes a while.
      store.set = function (this: unknown, sid, data, cb) {
        setTimeout(() => originalSet.call(this, sid, data, cb), 150);
      };
      const res = await fetch(`${base}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: moderator.username, password: DEFAULT_PASSWORD, _csrf: token }).toString(),
      });
      // Read the store the moment the redirect arrives, as the browser's next request would.
      const sid = decodeURIComponent(/bb\.sid=([^;]+)/.exec(res.headers.get('set-cookie')!)![1])
        .replace(/^s:/, '')
        .replace(/\.[^.]+$/, '');
      const stored = await Session.findByPk(sid);
      expect(res.status).to.equal(303);
      expect(res.headers.get('location')).to.match(/^\/login\/totp/);
      expect(stored, 'the session is in the store when the redirect arrives').to.not.equal(null);
      expect(JSON.parse(stored!.data ?? '{}').pendingSecondFactor.userId).to.equal(moderator.id);
      await res.text();
    } finally {
      store.set = originalSet;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('signs in with the username, changes the session id and records the login time', async () => {
    const user = await createUser({ lastLoginAt: new Date('2026-01-01T00:00:00Z') });
    const a = agent();
    const before = await a.get('/login');
    const cookieBefore = String(before.headers['set-cookie']);
    const token = /name="_csrf" value="([^"]+)"/.exec(before.text)![1];
    const res = await a.post('/login').type('form').send({ _csrf: token, username: user.username, password: DEFAULT_PASSWORD });
    expect(res.status).to.equal(303);
    const cookieAfter = String(res.headers['set-cookie']);
    expect(cookieAfter.split(';')[0]).to.not.equal(cookieBefore.split(';')[0]);
    await user.reload();
    expect(user.lastLoginAt.getFullYear()).to.be.greaterThan(2026 - 1);
    expect(user.lastLoginAt.getTime()).to.be.closeTo(Date.now(), 5000);
    const session = await Session.findOne({ where: { userId: user.id } });
    expect(session).to.not.equal(null);
  });

  it('signs in with the e-mail address, in any letter case', async () => {
    const user = await createUser({ email: 'mixed@example.fi' });
    const other = await createUser();
    const a = agent();
    const res = await submit(a, '/login', { username: 'MIXED@example.fi', password: DEFAULT_PASSWORD });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.not.match(/^\/login/);
    // The session belongs to the account with that address, and to no other.
    expect(await Session.count({ where: { userId: user.id } })).to.equal(1);
    expect(await Session.count({ where: { userId: other.id } })).to.equal(0);
    expect((await a.get('/account')).text).to.contain('mixed@example.fi');
  });

  it('gives the same message for an unknown user and a wrong password', async () => {
    const user = await createUser();
    const wrong = await submit(agent(), '/login', { username: user.username, password: 'not the password at all' });
    const unknown = await submit(agent(), '/login', { username: 'nobody_here', password: 'not the password at all' });
    expect(wrong.status).to.equal(401);
    expect(unknown.status).to.equal(401);
    const message = (html: string) => /<div class="error-summary"[^>]*>\s*<h2>([^<]+)<\/h2>/.exec(html)?.[1];
    expect(message(wrong.text)).to.equal('Fel användarnamn eller lösenord.');
    expect(message(unknown.text)).to.equal(message(wrong.text));
    expect(wrong.text).to.contain(`value="${user.username}"`);
  });

  it('locks an account after too many failures, even for the right password, with 429', async () => {
    const user = await createUser();
    const limit = context().config.limits.loginFailuresPerAccount;
    for (let i = 0; i < limit; i++) {
      await submit(agent(), '/login', { username: user.username, password: `wrong password ${i}!!` });
    }
    const res = await submit(agent(), '/login', { username: user.username, password: DEFAULT_PASSWORD });
    expect(res.status).to.equal(429);
    expect(res.headers['retry-after']).to.match(/^\d+$/);
    expect(res.text).to.contain('För många misslyckade inloggningar');
  });

  it('tells a suspended tenant that the account is suspended, and why', async () => {
    const user = await createUser({ suspended: 'Asked for money for the swap' });
    const res = await submit(agent(), '/login', { username: user.username, password: DEFAULT_PASSWORD });
    expect(res.status).to.equal(403);
    expect(res.text).to.contain('Ditt konto är avstängt');
    expect(res.text).to.contain('Asked for money for the swap');
  });

  it('lets an unverified tenant sign in', async () => {
    const user = await createUser({ verified: false });
    const res = await submit(agent(), '/login', { username: user.username, password: DEFAULT_PASSWORD });
    expect(res.status).to.equal(303);
  });

  it('returns to a local page after sign-in, never to another site', async () => {
    const user = await createUser();
    const local = await submit(agent(), '/login', { username: user.username, password: DEFAULT_PASSWORD, next: '/account' });
    expect(local.headers.location).to.equal('/account');
    const user2 = await createUser();
    const foreign = await submit(agent(), '/login', {
      username: user2.username,
      password: DEFAULT_PASSWORD,
      next: '//evil.example/',
    });
    expect(foreign.headers.location).to.equal('/');
  });

  it('answers 403 without a CSRF token', async () => {
    const user = await createUser();
    const res = await agent().post('/login').type('form').send({ username: user.username, password: DEFAULT_PASSWORD });
    expect(res.status).to.equal(403);
  });
});

describe('POST /logout', () => {
  it("tells the browser to forget the site's cookies and storage", async () => {
    const a = await signIn(await createUser());
    const res = await a
      .post('/logout')
      .type('form')
      .send({ _csrf: await csrfToken(a, '/account') });
    expect(res.status).to.equal(303);
    expect(res.headers['clear-site-data']).to.equal('"cookies", "storage"');
  });

  it('destroys the session so the old cookie no longer works', async () => {
    const user = await createUser();
    const a = await signIn(user);
    const token = await csrfToken(a, '/account');
    const res = await a.post('/logout').type('form').send({ _csrf: token });
    expect(res.status).to.equal(303);
    expect(await Session.count({ where: { userId: user.id } })).to.equal(0);
    const after = await a.get('/account');
    expect(after.status).to.equal(303);
    expect(after.headers.location).to.match(/^\/login/);
  });
});

describe('password reset', () => {
  it('does the same work for an unknown address as for a registered one (counts the same limits)', async () => {
    await createUser({ email: 'known@example.fi' });
    const count = async () =>
      Number(((await context().db.sequelize.query('SELECT COUNT(*) AS n FROM rate_limits', { plain: true })) as { n: number }).n);
    await submit(agent(), '/forgot-password', { email: 'known@example.fi' }, '/forgot-password');
    const afterKnown = await count();
    await submit(agent(), '/forgot-password', { email: 'unknown@example.fi' }, '/forgot-password');
    // The per-IP counter exists already; each request adds its own per-address counter.
    expect((await count()) - afterKnown).to.equal(1);
    expect(afterKnown).to.equal(2);
  });

  it('answers the same for a registered and an unknown address, and mails only the registered one', async () => {
    await createUser({ email: 'known@example.fi' });
    const known = await submit(agent(), '/forgot-password', { email: 'known@example.fi' }, '/forgot-password');
    const unknown = await submit(agent(), '/forgot-password', { email: 'unknown@example.fi' }, '/forgot-password');
    expect(known.status).to.equal(200);
    expect(unknown.status).to.equal(200);
    const strip = (s: string) => s.replace(/name="_csrf" value="[^"]+"/g, '');
    expect(strip(known.text)).to.equal(strip(unknown.text));
    expect(context().mailer.to('known@example.fi')).to.have.length(1);
    expect(context().mailer.to('unknown@example.fi')).to.have.length(0);
  });

  it('sets a new password with a single-use link and ends every session of the account', async () => {
    const user = await createUser({ email: 'reset@example.fi' });
    const other = await signIn(user);
    await submit(agent(), '/forgot-password', { email: 'reset@example.fi' }, '/forgot-password');
    const link = linkIn(context().mailer.last('reset@example.fi')!.text, '/reset-password');
    const a = agent();
    const form = await a.get(link);
    expect(form.status).to.equal(200);
    const token = /name="_csrf" value="([^"]+)"/.exec(form.text)![1];
    const res = await a
      .post(link)
      .type('form')
      .send({ _csrf: token, password: 'brand new river stones', password_confirm: 'brand new river stones' });
    expect(res.status).to.equal(303);
    expect((await other.get('/account')).status).to.equal(303);
    const reused = await a.get(link);
    expect(reused.status).to.equal(400);
    expect((await submit(agent(), '/login', { username: user.username, password: 'brand new river stones' })).status).to.equal(
      303,
    );
  });

  it('does not accept a link older than one hour', async () => {
    await createUser({ email: 'late@example.fi' });
    await submit(agent(), '/forgot-password', { email: 'late@example.fi' }, '/forgot-password');
    const link = linkIn(context().mailer.last('late@example.fi')!.text, '/reset-password');
    context().clock.advance(61 * 60 * 1000);
    const res = await agent().get(link);
    expect(res.status).to.equal(400);
  });

  it('keeps the reset form with an error when the new password is common', async () => {
    await createUser({ email: 'weak@example.fi' });
    await submit(agent(), '/forgot-password', { email: 'weak@example.fi' }, '/forgot-password');
    const link = linkIn(context().mailer.last('weak@example.fi')!.text, '/reset-password');
    const a = agent();
    const form = await a.get(link);
    const token = /name="_csrf" value="([^"]+)"/.exec(form.text)![1];
    const res = await a
      .post(link)
      .type('form')
      .send({ _csrf: token, password: 'password1234', password_confirm: 'password1234' });
    expect(res.status).to.equal(422);
    expect(res.text).to.contain('för vanligt');
  });

  it('rate-limits reset requests from one address', async () => {
    const limit = context().config.limits.mailPerHour * 4;
    const a = agent();
    let last = 0;
    for (let i = 0; i <= limit; i++) {
      last = (await submit(a, '/forgot-password', { email: `x${i}@example.fi` }, '/forgot-password')).status;
    }
    expect(last).to.equal(429);
  });
});
