import fs from 'node:fs';
import { expect } from 'chai';
import { Session } from '../../models/session';
import { User } from '../../models/user';
import { context } from '../helpers/context';
import { createUser, DEFAULT_PASSWORD } from '../helpers/factories';
import { agent, linkIn, signIn, submit } from '../helpers/http';

const settings = (over: Record<string, string> = {}) => ({ email: 'me@example.fi', phone: '', locale: 'sv', ...over });

describe('GET /account', () => {
  it('sends visitors who are not signed in to the sign-in page and back', async () => {
    const res = await agent().get('/account');
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/login?next=%2Faccount');
  });

  it('shows the tenant their own e-mail and phone', async () => {
    const user = await createUser({ email: 'me@example.fi', phone: '+358401112223' });
    const res = await (await signIn(user)).get('/account');
    expect(res.text).to.contain('me@example.fi');
    expect(res.text).to.contain('+358401112223');
  });

  it('tells an unverified tenant to verify and can send the link again', async () => {
    const user = await createUser({ verified: false, email: 'new@example.fi' });
    const a = await signIn(user);
    const page = await a.get('/account');
    expect(page.text).to.contain('Din e-postadress är inte bekräftad ännu');
    const res = await submit(a, '/verify-email/resend', {}, '/account');
    expect(res.status).to.equal(303);
    expect(context().mailer.to('new@example.fi')).to.have.length(1);
  });
});

describe('POST /account', () => {
  it('saves phone, language and notification settings', async () => {
    const user = await createUser({ email: 'me@example.fi' });
    const a = await signIn(user);
    const res = await submit(
      a,
      '/account',
      settings({ phone: '+358 40 765 4321', show_phone: 'on', locale: 'fi', notify_messages: 'on' }),
      '/account',
    );
    expect(res.status).to.equal(303);
    await user.reload();
    expect(user.phone).to.equal('+358407654321');
    expect(user.showPhone).to.equal(true);
    expect(user.locale).to.equal('fi');
    expect(user.notifyMessages).to.equal(true);
    const page = await a.get('/account');
    expect(page.text).to.contain('<html lang="fi">');
    expect(page.text).to.contain('Asetukset on tallennettu.');
  });

  it('keeps the old address until the new one is verified through the link sent to it', async () => {
    const user = await createUser({ email: 'old@example.fi' });
    const a = await signIn(user);
    await submit(a, '/account', settings({ email: 'new@example.fi', current_password: DEFAULT_PASSWORD }), '/account');
    await user.reload();
    expect(user.email).to.equal('old@example.fi');
    expect(user.pendingEmail).to.equal('new@example.fi');
    const mail = context().mailer.last('new@example.fi');
    expect(mail).to.not.equal(undefined);
    await a.get(linkIn(mail!.text, '/verify-email'));
    await user.reload();
    expect(user.email).to.equal('new@example.fi');
    expect(user.pendingEmail).to.equal(null);
  });

  it("answers an address of another account exactly as a free one, and mails that account's owner", async () => {
    await createUser({ username: 'owner_of_it', email: 'taken@example.fi', locale: 'fi' });
    const mailer = context().mailer;
    const one = await signIn(await createUser({ email: 'one@example.fi' }));
    const two = await signIn(await createUser({ email: 'two@example.fi' }));
    mailer.clear();
    const taken = await submit(
      one,
      '/account',
      settings({ email: 'taken@example.fi', current_password: DEFAULT_PASSWORD }),
      '/account',
    );
    const free = await submit(
      two,
      '/account',
      settings({ email: 'free@example.fi', current_password: DEFAULT_PASSWORD }),
      '/account',
    );
    expect(taken.status).to.equal(303);
    expect(free.status).to.equal(303);
    const strip = (html: string) =>
      html
        .replace(/name="_csrf" value="[^"]+"/g, '')
        .replace(/(one|two)@example\.fi/g, 'X')
        .replace(/(taken|free)@example\.fi/g, 'Y')
        .replace(/tenant\d+/g, 'U');
    expect(strip((await one.get('/account')).text)).to.equal(strip((await two.get('/account')).text));
    expect(mailer.to('taken@example.fi')).to.have.length(1);
    expect(mailer.last('taken@example.fi')!.subject).to.equal('Joku yritti käyttää sähköpostiosoitettasi');
    expect(mailer.last('taken@example.fi')!.text).to.not.contain('/verify-email');
    expect(mailer.last('free@example.fi')!.text).to.contain('/verify-email');
  });

  it('needs the current password to change the e-mail address, and saves nothing without it', async () => {
    const user = await createUser({ email: 'me@example.fi' });
    const a = await signIn(user);
    const missing = await submit(a, '/account', settings({ email: 'thief@example.fi', phone: '+358401234567' }), '/account');
    expect(missing.status).to.equal(422);
    expect(missing.text).to.match(/id="field-current_password-error"/);
    expect(missing.text).to.contain('value="+358401234567"');
    const wrong = await submit(
      a,
      '/account',
      settings({ email: 'thief@example.fi', current_password: 'not my password at all' }),
      '/account',
    );
    expect(wrong.status).to.equal(422);
    await user.reload();
    expect(user.pendingEmail).to.equal(null);
    expect(user.phone).to.equal(null);
    expect(context().mailer.to('thief@example.fi')).to.have.length(0);
    // Other settings need no password.
    expect((await submit(a, '/account', settings({ locale: 'en' }), '/account')).status).to.equal(303);
  });

  it("tells the old address, in the tenant's language, with a link that undoes the change and ends every session", async () => {
    const user = await createUser({ email: 'old@example.fi', locale: 'en' });
    const thief = await signIn(user);
    const owner = await signIn(user);
    await submit(
      thief,
      '/account',
      settings({ email: 'thief@example.fi', locale: 'en', current_password: DEFAULT_PASSWORD }),
      '/account',
    );
    // The thief verifies the new address at once.
    await thief.get(linkIn(context().mailer.last('thief@example.fi')!.text, '/verify-email'));
    await user.reload();
    expect(user.email).to.equal('thief@example.fi');
    const notice = context().mailer.last('old@example.fi')!;
    expect(notice.subject).to.equal('The e-mail address of your account is changing');
    expect(notice.text).to.not.contain('thief@example.fi');
    const undo = linkIn(notice.text, '/email-change/undo');
    // GET only asks; a mail scanner following the link changes nothing.
    const page = await agent().get(undo);
    expect(page.status).to.equal(200);
    await user.reload();
    expect(user.email).to.equal('thief@example.fi');
    const res = await submit(agent(), undo, {}, undo);
    expect(res.status).to.equal(303);
    await user.reload();
    expect(user.email).to.equal('old@example.fi');
    expect(user.pendingEmail).to.equal(null);
    expect(await Session.count({ where: { userId: user.id } })).to.equal(0);
    expect((await thief.get('/account')).status).to.equal(303);
    expect((await owner.get('/account')).status).to.equal(303);
    // Single use, and limited in time.
    expect((await submit(agent(), undo, {}, '/login')).status).to.equal(400);
  });

  it('does not accept an undo link after seven days', async () => {
    const user = await createUser({ email: 'old@example.fi' });
    const a = await signIn(user);
    await submit(a, '/account', settings({ email: 'new@example.fi', current_password: DEFAULT_PASSWORD }), '/account');
    const undo = linkIn(context().mailer.last('old@example.fi')!.text, '/email-change/undo');
    context().clock.set(new Date(Date.now() + 7 * 24 * 3600 * 1000 + 60_000));
    expect((await agent().get(undo)).status).to.equal(400);
  });

  it('leaves no trace of a changed phone number in the SQLite files (write-ahead log folded in)', async function () {
    const { db, config } = context();
    if (db.dialect !== 'sqlite') this.skip();
    const user = await createUser({ phone: '+358405550001' });
    const a = await signIn(user);
    expect((await submit(a, '/account', settings({ email: user.email, phone: '+358409990002' }), '/account')).status).to.equal(
      303,
    );
    const file = config.database.storage!;
    for (const f of [file, `${file}-wal`]) {
      const bytes = fs.existsSync(f) ? fs.readFileSync(f) : Buffer.alloc(0);
      expect(bytes.includes(Buffer.from('+358405550001')), f).to.equal(false);
    }
  });

  it('rejects an unknown language and a malformed phone with 422', async () => {
    const user = await createUser({ email: 'me@example.fi' });
    const a = await signIn(user);
    const res = await submit(a, '/account', settings({ locale: 'xx', phone: 'abc' }), '/account');
    expect(res.status).to.equal(422);
    const res2 = await submit(a, '/account', settings({ phone: 'abc' }), '/account');
    expect(res2.status).to.equal(422);
    expect(res2.text).to.match(/id="field-phone-error"/);
  });
});

describe('POST /account/password', () => {
  it('names both empty password fields in one pass (Finnish)', async () => {
    const a = await signIn(await createUser({ locale: 'fi' }));
    const res = await submit(a, '/account/password', {}, '/account');
    expect(res.status).to.equal(422);
    expect(res.text).to.contain('Anna nykyinen salasanasi.');
    expect(res.text).to.contain('Anna salasana.');
    expect(res.text).to.not.contain('Täytä kenttä.');
  });

  it('changes the password and ends every other session of the account', async () => {
    const user = await createUser();
    const laptop = await signIn(user);
    const phone = await signIn(user);
    expect(await Session.count({ where: { userId: user.id } })).to.equal(2);
    const res = await submit(
      laptop,
      '/account/password',
      {
        current_password: DEFAULT_PASSWORD,
        password: 'a brand new garden path',
        password_confirm: 'a brand new garden path',
      },
      '/account',
    );
    expect(res.status).to.equal(303);
    expect((await laptop.get('/account')).status).to.equal(200);
    expect((await phone.get('/account')).status).to.equal(303);
    expect(await Session.count({ where: { userId: user.id } })).to.equal(1);
  });

  it('gives this device a new session id, so a copied cookie stops working', async () => {
    const user = await createUser();
    const a = await signIn(user);
    const before = (await a.get('/account')).request.cookies;
    const res = await submit(
      a,
      '/account/password',
      {
        current_password: DEFAULT_PASSWORD,
        password: 'a brand new garden path',
        password_confirm: 'a brand new garden path',
      },
      '/account',
    );
    expect(String(res.headers['set-cookie'])).to.match(/bb\.sid=/);
    expect((await a.get('/account')).status).to.equal(200);
    // Whoever copied the old cookie is signed out.
    const copy = await agent().get('/account').set('Cookie', before);
    expect(copy.status).to.equal(303);
  });

  it('asks for the current password', async () => {
    const user = await createUser();
    const a = await signIn(user);
    const res = await submit(
      a,
      '/account/password',
      {
        current_password: 'not my password at all',
        password: 'a brand new garden path',
        password_confirm: 'a brand new garden path',
      },
      '/account',
    );
    expect(res.status).to.equal(422);
    expect(res.text).to.contain('Det nuvarande lösenordet stämmer inte.');
    const stored = await User.findByPk(user.id);
    expect(stored!.passwordHash).to.equal(user.passwordHash);
  });
});

describe('GET /language', () => {
  it('switches the language for the visit without JavaScript and returns to the page', async () => {
    const a = agent();
    const res = await a.get('/language?lang=en&return=%2Flogin');
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/login');
    const page = await a.get('/login');
    expect(page.text).to.contain('<html lang="en">');
    expect(page.text).to.contain('Sign in');
  });

  it('never redirects to another site', async () => {
    const res = await agent().get('/language?lang=fi&return=%2F%2Fevil.example');
    expect(res.headers.location).to.equal('/');
  });

  it("follows the browser's Accept-Language when nothing was chosen, Swedish otherwise", async () => {
    expect((await agent().get('/').set('Accept-Language', 'en-US,en;q=0.8')).text).to.contain('<html lang="en">');
    expect((await agent().get('/').set('Accept-Language', 'de-DE')).text).to.contain('<html lang="sv">');
  });

  it("switches a signed-in tenant's pages but never changes the account's saved language (a GET from any site could)", async () => {
    const user = await createUser({ locale: 'sv' });
    const a = await signIn(user);
    await a.get('/language?lang=fi&return=%2Faccount');
    expect((await a.get('/account')).text).to.contain('<html lang="fi">');
    await user.reload();
    expect(user.locale).to.equal('sv');
    // The account's language (for e-mails) changes on /account, and the pages follow.
    await submit(a, '/account', settings({ email: user.email, locale: 'en' }), '/account');
    await user.reload();
    expect(user.locale).to.equal('en');
    expect((await a.get('/account')).text).to.contain('<html lang="en">');
  });
});
