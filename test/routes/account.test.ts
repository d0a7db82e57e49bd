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
    const res = await submit(a, '/account', settings({ phone: '+358 40 765 4321', show_phone: 'on', locale: 'fi', notify_messages: 'on' }), '/account');
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
    await submit(a, '/account', settings({ email: 'new@example.fi' }), '/account');
    await user.reload();
    expect(user.email).to.equal('old@example.fi');
    expect(user.pendingEmail).to.equal('new@example.fi');
    const mail = context().mailer.last('new@example.fi');
    expect(mail).to.not.equal(undefined);
    expect(context().mailer.to('old@example.fi')).to.have.length(0);
    await a.get(linkIn(mail!.text, '/verify-email'));
    await user.reload();
    expect(user.email).to.equal('new@example.fi');
    expect(user.pendingEmail).to.equal(null);
  });

  it('refuses an address that belongs to another account, keeping the input', async () => {
    await createUser({ email: 'taken@example.fi' });
    const user = await createUser({ email: 'me@example.fi' });
    const res = await submit(await signIn(user), '/account', settings({ email: 'taken@example.fi', phone: '+358401234567' }), '/account');
    expect(res.status).to.equal(422);
    expect(res.text).to.match(/id="field-email-error"/);
    expect(res.text).to.contain('value="+358401234567"');
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
    const res = await submit(laptop, '/account/password', {
      current_password: DEFAULT_PASSWORD, password: 'a brand new garden path', password_confirm: 'a brand new garden path',
    }, '/account');
    expect(res.status).to.equal(303);
    expect((await laptop.get('/account')).status).to.equal(200);
    expect((await phone.get('/account')).status).to.equal(303);
    expect(await Session.count({ where: { userId: user.id } })).to.equal(1);
  });

  it('asks for the current password', async () => {
    const user = await createUser();
    const a = await signIn(user);
    const res = await submit(a, '/account/password', {
      current_password: 'not my password at all', password: 'a brand new garden path', password_confirm: 'a brand new garden path',
    }, '/account');
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

  it("saves a signed-in tenant's choice to the account", async () => {
    const user = await createUser({ locale: 'sv' });
    const a = await signIn(user);
    await a.get('/language?lang=fi&return=%2Faccount');
    await user.reload();
    expect(user.locale).to.equal('fi');
  });
});
