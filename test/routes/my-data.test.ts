import { expect } from 'chai';
import { Conversation } from '../../models/conversation';
import { Session } from '../../models/session';
import { User } from '../../models/user';
import { ACCOUNT_SECTIONS } from '../../server/routes/account-sections';
import { deleteAccounts } from '../../server/services/account-deletion';
import { context } from '../helpers/context';
import {
  createBlock,
  createConversation,
  createFavourite,
  createListing,
  createModerator,
  createSession,
  createToken,
  createUser,
  DEFAULT_PASSWORD,
  reportListing,
  userExists,
} from '../helpers/factories';
import { agent, signIn, signInModerator, submit } from '../helpers/http';

const parseJson = (res: { text: string }) =>
  JSON.parse(res.text) as Record<string, unknown> & {
    account: Record<string, unknown>;
    conversations: {
      otherParticipant: string;
      listing: unknown;
      messages: { fromMe: boolean; body: string; sentAt: string }[];
    }[];
    favourites: { listingId: number }[];
    blocks: { username: string }[];
    reportsFiled: { kind: string; reason: string; details: string }[];
    pendingEmails: { purpose: string; expiresAt: string }[];
    listing: { description: string; wanted: { districts: string[] } } | null;
  };

/** A tenant with something in every part of "My data", and the other tenant they talk to. */
async function tenantWithData() {
  context().clock.set('2027-01-10T10:00:00Z');
  const me = await createUser({ username: 'maija', email: 'maija@example.fi', phone: '+358401112222', locale: 'en' });
  const other = await createUser({ username: 'otto', email: 'otto.secret@example.fi', phone: '+358409998888', showPhone: true });
  await createListing(me, { description: 'My sunny flat in Kallio', wantedDistricts: ['vallila', 'toolo'] });
  const othersListing = await createListing(other, { description: "Otto's flat" });
  await createFavourite(me, othersListing);
  await createBlock(me, other);
  await reportListing(me, othersListing, { reason: 'fake', details: 'not a real flat' });
  const { raw } = await createToken(me, 'reset_password', 24 * 3600_000);
  const { conversation } = await createConversation(othersListing, me, [
    { from: me, body: 'Hello Otto, is it still free?', at: new Date('2027-01-05T10:00:00Z') },
    { from: other, body: 'Yes it is, call me', at: new Date('2027-01-05T11:00:00Z') },
  ]);
  return { me, other, othersListing, conversation, rawToken: raw };
}

describe('My data on /account', () => {
  it('shows when the account will be purged, and the links and forms for each right', async () => {
    const me = await createUser({ locale: 'en', lastLoginAt: new Date('2026-11-30T12:00:00Z') });
    const a = await signIn(me);
    // Signing in moved lastLoginAt to now; put it back to see the clamped deadline.
    await User.update({ lastLoginAt: new Date('2026-11-30T12:00:00Z') }, { where: { id: me.id } });
    const res = await a.get('/account');
    expect(res.status).to.equal(200);
    expect(res.text).to.contain('My data and privacy');
    expect(res.text).to.contain('deleted automatically after 28 Feb 2027, 14:00');
    expect(res.text).to.contain('href="/account/data"');
    expect(res.text).to.contain('href="/account/export"');
    expect(res.text).to.contain('action="/account/emails"');
    // Deleting the account is the last thing on the page, behind its own confirmation page.
    expect(res.text).to.contain('href="/account/delete"');
    expect(res.text).to.not.contain('action="/account/delete"');
    expect(res.text.lastIndexOf('href="/account/delete"')).to.be.greaterThan(res.text.indexOf('id="settings-title"'));
    expect(res.text.lastIndexOf('href="/account/delete"')).to.be.greaterThan(res.text.indexOf('id="password-title"'));
    const confirm = await a.get('/account/delete');
    expect(confirm.status).to.equal(200);
    expect(confirm.text).to.contain('action="/account/delete"');
    expect(confirm.text).to.match(/<input id="field-delete-password" name="password" type="password"/);
    expect(await User.count({ where: { id: me.id } })).to.equal(1);
  });

  it('gives moderators no purge date (they are never purged)', async () => {
    const c = context();
    const ctx = { ...c.deps, services: c.board.services };
    const mod = await createUser({ role: 'admin' });
    const tenant = await createUser();
    const ours = async (u: User) =>
      (await Promise.all(ACCOUNT_SECTIONS.map((load) => load(u, ctx)))).find((s) => s?.view === '_data');
    expect((await ours(mod))!.purgeDate).to.equal(null);
    expect((await ours(tenant))!.purgeDate).to.be.instanceOf(Date);
  });
});

describe('GET /account/data', () => {
  it('shows everything stored about me, in my language', async () => {
    const { me } = await tenantWithData();
    const res = await (await signIn(me)).get('/account/data');
    expect(res.status).to.equal(200);
    for (const text of [
      'My data',
      'maija@example.fi',
      '+358401112222',
      'My sunny flat in Kallio',
      'Töölö (Tölö), Vallila (Vallgård)',
      'otto',
      'Hello Otto, is it still free?',
      'Yes it is, call me',
      'not a real flat',
      'Password reset link',
      'Signed-in sessions',
      'Download my data (JSON file)',
    ]) {
      expect(res.text, text).to.contain(text);
    }
    expect(res.text).to.not.contain('otto.secret@example.fi');
    expect(res.text).to.not.contain('+358409998888');
    expect(res.text.match(/<h1[ >]/g)).to.have.length(1);
  });

  it('shows a conversation whose other tenant is gone as with a removed user', async () => {
    const { me, other } = await tenantWithData();
    await context().db.sequelize.transaction((transaction) => deleteAccounts([other.id], { transaction }));
    const res = await (await signIn(me)).get('/account/data');
    expect(res.text).to.contain('With removed user');
    expect(res.text).to.contain('Hello Otto, is it still free?');
    expect(res.text).to.not.contain('Yes it is, call me');
  });

  it('sends visitors who are not signed in to the sign-in page', async () => {
    const res = await agent().get('/account/data');
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/login?next=%2Faccount%2Fdata');
  });
});

describe('GET /account/export', () => {
  it('downloads all my data as a versioned JSON attachment', async () => {
    const { me, othersListing, rawToken } = await tenantWithData();
    const a = await signIn(me);
    context().clock.set('2027-01-10T21:30:00Z');
    const res = await a.get('/account/export');
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.equal('application/json; charset=utf-8');
    expect(res.headers['content-disposition']).to.equal('attachment; filename="bostadsbyte-export-2027-01-10.json"');
    expect(res.headers['cache-control']).to.contain('no-store');
    const data = parseJson(res);
    expect(data).to.include({ format: 'bostadsbyte-export', version: 1, exportedAt: '2027-01-10T21:30:00.000Z' });
    expect(data.account).to.include({
      username: 'maija',
      email: 'maija@example.fi',
      phone: '+358401112222',
      locale: 'en',
      role: 'tenant',
    });
    expect(data.account).to.not.have.any.keys('passwordHash', 'totpSecret');
    expect(data.listing!.description).to.equal('My sunny flat in Kallio');
    expect(data.listing!.wanted.districts).to.deep.equal(['toolo', 'vallila']);
    expect(data.favourites.map((f) => f.listingId)).to.deep.equal([othersListing.id]);
    expect(data.blocks.map((b) => b.username)).to.deep.equal(['otto']);
    expect(data.reportsFiled).to.have.length(1);
    expect(data.reportsFiled[0]).to.include({ kind: 'listing', reason: 'fake', details: 'not a real flat' });
    expect(data.conversations).to.have.length(1);
    expect(data.conversations[0].otherParticipant).to.equal('otto');
    expect(data.conversations[0].messages).to.deep.equal([
      { fromMe: true, body: 'Hello Otto, is it still free?', sentAt: '2027-01-05T10:00:00.000Z' },
      { fromMe: false, body: 'Yes it is, call me', sentAt: '2027-01-05T11:00:00.000Z' },
    ]);
    expect(data.pendingEmails.map((p) => p.purpose)).to.deep.equal(['reset_password']);
    // The sign-in above set lastLoginAt to the clock's 10 Jan 2027 10:00.
    expect(data.purgeDate).to.equal('2027-04-10T10:00:00.000Z');
    // Never another tenant's contact data, never a token or a hash of one.
    expect(res.text).to.not.contain('otto.secret@example.fi');
    expect(res.text).to.not.contain('+358409998888');
    expect(res.text).to.not.contain(rawToken);
    expect(res.text).to.not.match(/tokenHash|passwordHash|\$argon2/);
  });

  it('names a removed conversation partner "removed user"', async () => {
    const { me, other, conversation } = await tenantWithData();
    await context().db.sequelize.transaction((transaction) => deleteAccounts([other.id], { transaction }));
    expect(await Conversation.count({ where: { id: conversation.id } })).to.equal(1);
    const data = parseJson(await (await signIn(me)).get('/account/export'));
    expect(data.conversations[0].otherParticipant).to.equal('removed user');
    expect(data.conversations[0].listing).to.equal(null);
    expect(data.blocks).to.deep.equal([]);
  });

  it('is only for the signed-in tenant', async () => {
    const res = await agent().get('/account/export');
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.match(/^\/login/);
  });
});

describe('POST /account/emails', () => {
  it('turns all e-mail off and on again', async () => {
    const me = await createUser({ locale: 'en' });
    const a = await signIn(me);
    const off = await submit(a, '/account/emails', { emails_enabled: 'off' }, '/account');
    expect(off.status).to.equal(303);
    expect((await User.findByPk(me.id))!.emailsEnabled).to.equal(false);
    const page = await a.get('/account');
    expect(page.text).to.contain('All optional e-mail is now turned off.');
    expect(page.text).to.contain('Turn e-mail on again');
    await submit(a, '/account/emails', { emails_enabled: 'on' }, '/account');
    expect((await User.findByPk(me.id))!.emailsEnabled).to.equal(true);
  });

  it('unticks the message notices with it, and ticking them on the settings form turns e-mail back on (Finnish)', async () => {
    const me = await createUser({ locale: 'fi', notifyMessages: true });
    const a = await signIn(me);
    await submit(a, '/account/emails', { emails_enabled: 'off' }, '/account');
    const page = await a.get('/account');
    const choices = page.text.slice(page.text.indexOf('id="email-choices"'));
    expect(choices).to.contain('Kaikki vapaaehtoinen sähköposti on pois päältä');
    expect(choices).to.match(/name="notify_messages" value="on">/);
    expect(choices).to.not.match(/name="notify_messages" value="on" checked/);
    await submit(a, '/account', { email: me.email, phone: '', locale: 'fi', notify_messages: 'on' }, '/account');
    const back = (await User.findByPk(me.id))!;
    expect([back.emailsEnabled, back.notifyMessages]).to.deep.equal([true, true]);
  });

  it('ignores junk and changes nothing', async () => {
    const me = await createUser();
    const a = await signIn(me);
    const res = await submit(a, '/account/emails', { emails_enabled: 'maybe' }, '/account');
    expect(res.status).to.equal(303);
    expect((await User.findByPk(me.id))!.emailsEnabled).to.equal(true);
  });
});

describe('POST /account/delete', () => {
  it('re-renders with 422 and the message next to the password field when the password is wrong', async () => {
    const me = await createUser({ locale: 'en' });
    const a = await signIn(me);
    const res = await submit(a, '/account/delete', { password: 'not my password at all' }, '/account/data');
    expect(res.status).to.equal(422);
    expect(res.text).to.match(/id="field-delete-password-error"[^>]*>.*The password is not correct\./s);
    expect(res.text).to.match(/id="field-delete-password"[^>]*aria-invalid="true"/);
    expect(res.text).to.contain('href="#field-delete-password"');
    expect(await userExists(me.id)).to.equal(true);
    expect((await a.get('/account')).status, 'still signed in').to.equal(200);
  });

  it('keeps the last moderator, and lets a moderator go when another remains', async () => {
    const first = await createModerator({ locale: 'en' });
    const a = await signInModerator(first);
    const refused = await submit(a, '/account/delete', { password: DEFAULT_PASSWORD }, '/account/data');
    expect(refused.status).to.equal(409);
    expect(refused.text).to.contain('This is the last moderator: make another moderator first.');
    expect(await userExists(first.id)).to.equal(true);
    await createModerator();
    const done = await submit(a, '/account/delete', { password: DEFAULT_PASSWORD }, '/account/data');
    expect(done.status).to.equal(303);
    expect(await userExists(first.id)).to.equal(false);
  });

  it('asks for the password when it is missing', async () => {
    const me = await createUser({ locale: 'en' });
    const res = await submit(await signIn(me), '/account/delete', {}, '/account/data');
    expect(res.status).to.equal(422);
    expect(res.text).to.contain('Enter your password to delete the account.');
    expect(await userExists(me.id)).to.equal(true);
  });

  it("deletes the account at once with the purge's cascade, signs out everywhere and says goodbye", async () => {
    const { me, other, conversation } = await tenantWithData();
    await createSession(me); // another device
    const a = await signIn(me);
    const res = await submit(a, '/account/delete', { password: DEFAULT_PASSWORD }, '/account/data');
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/account/deleted');
    expect(await userExists(me.id)).to.equal(false);
    expect(await Session.count({ where: { userId: me.id } })).to.equal(0);
    expect(await userExists(other.id)).to.equal(true);
    expect(await Conversation.count({ where: { id: conversation.id } }), 'stays for the other tenant').to.equal(1);
    const goodbye = await a.get('/account/deleted');
    expect(goodbye.status).to.equal(200);
    expect(goodbye.text).to.contain('Ditt konto har raderats');
    expect(goodbye.text).to.not.contain('maija');
    const after = await a.get('/account');
    expect(after.status).to.equal(303);
    expect(after.headers.location).to.match(/^\/login/);
  });

  it('refuses a request without the CSRF token', async () => {
    const me = await createUser();
    const a = await signIn(me);
    const res = await a.post('/account/delete').type('form').send({ password: DEFAULT_PASSWORD });
    expect(res.status).to.equal(403);
    expect(await userExists(me.id)).to.equal(true);
  });
});
