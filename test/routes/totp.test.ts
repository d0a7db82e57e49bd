import { expect } from 'chai';
import { User } from '../../models/user';
import { context } from '../helpers/context';
import { createListing, createModerator, createUser } from '../helpers/factories';
import { agent, csrfFrom, currentCode, passwordStep, sendCode, signIn, signInModerator, submit } from '../helpers/http';

describe("GET|POST /login/totp (a moderator's second factor)", () => {
  it('asks a moderator for a code after the password, without signing them in yet', async () => {
    const mod = await createModerator();
    const a = await passwordStep(mod, agent(), '/admin/reports');
    const page = await a.get('/login/totp?next=%2Fadmin%2Freports');
    expect(page.status).to.equal(200);
    expect(page.text).to.match(/<input id="field-totp" name="totp" type="text"[^>]*autocomplete="one-time-code"/);
    expect(page.text).to.match(/name="totp"[^>]*inputmode="numeric"/);
    expect(page.text).to.contain('value="/admin/reports"');
    // Not signed in: the account page and the admin pages are still closed.
    expect((await a.get('/account')).headers.location).to.match(/^\/login/);
    const admin = await a.get('/admin');
    expect(admin.status).to.equal(303);
    expect(admin.headers.location).to.equal('/login/totp?next=%2Fadmin');
  });

  it('lands a moderator who signed in from the sign-in page on /admin, not the public home page', async () => {
    const mod = await createModerator();
    const a = await passwordStep(mod);
    const res = await sendCode(a, await currentCode(mod));
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/admin');
  });

  it('signs the moderator in with the right code, records the sign-in and goes on to the page asked for', async () => {
    const mod = await createModerator({ lastLoginAt: new Date('2026-01-01T00:00:00Z') });
    const a = await passwordStep(mod);
    const res = await sendCode(a, await currentCode(mod), '/admin/audit');
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/admin/audit');
    expect((await a.get('/admin')).status).to.equal(200);
    await mod.reload();
    expect(mod.lastLoginAt.getTime()).to.be.closeTo(Date.now(), 5000);
    expect(mod.totpLastStep).to.not.equal(null);
  });

  it('accepts the code with a space in the middle, as some apps show it', async () => {
    const mod = await createModerator();
    const a = await passwordStep(mod);
    const code = await currentCode(mod);
    const res = await sendCode(a, `${code.slice(0, 3)} ${code.slice(3)}`);
    expect(res.status).to.equal(303);
  });

  it('re-renders the form with 422 and an error next to the field when the code is wrong', async () => {
    const mod = await createModerator();
    const a = await passwordStep(mod);
    const right = await currentCode(mod);
    const wrong = right === '000000' ? '111111' : '000000';
    const res = await sendCode(a, wrong);
    expect(res.status).to.equal(422);
    expect(res.text).to.contain('Koden stämmer inte');
    expect(res.text).to.match(/id="field-totp"[^>]*aria-invalid="true"/);
    expect((await a.get('/admin')).headers.location).to.match(/^\/login\/totp/);
  });

  it('says a code has six digits when something else is sent', async () => {
    const mod = await createModerator();
    const a = await passwordStep(mod);
    for (const code of ['12345', 'abcdef', '']) {
      const res = await sendCode(a, code);
      expect(res.status, code).to.equal(422);
      expect(res.text).to.contain('Koden består av 6 siffror.');
    }
  });

  it('refuses a code that was already used, even within its 30 seconds', async () => {
    context().clock.set('2026-11-28T12:00:05Z');
    const mod = await createModerator();
    const first = await passwordStep(mod);
    const code = await currentCode(mod);
    expect((await sendCode(first, code)).status).to.equal(303);
    context().clock.advance(10_000);
    const second = await passwordStep(mod);
    const res = await sendCode(second, code);
    expect(res.status).to.equal(422);
    expect(res.text).to.contain('Den koden har redan använts');
    // The next code is fine.
    context().clock.advance(30_000);
    expect((await sendCode(second, await currentCode(mod))).status).to.equal(303);
  });

  it('refuses an older code once a newer one has been used', async () => {
    context().clock.set('2026-11-28T12:00:35Z');
    const mod = await createModerator();
    const older = await currentCode(mod, -30_000);
    expect((await sendCode(await passwordStep(mod), await currentCode(mod))).status).to.equal(303);
    const res = await sendCode(await passwordStep(mod), older);
    expect(res.status).to.equal(422);
  });

  it('locks the code form after five wrong codes, even for the right code', async () => {
    const mod = await createModerator();
    const a = await passwordStep(mod);
    const right = await currentCode(mod);
    const wrong = right === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) expect((await sendCode(a, wrong)).status).to.equal(422);
    const res = await sendCode(a, right);
    expect(res.status).to.equal(429);
    expect(res.text).to.contain('För många felaktiga koder');
    expect((await a.get('/admin')).status).to.equal(303);
  });

  it('lets the password step lapse after five minutes', async () => {
    context().clock.set('2026-11-28T12:00:00Z');
    const mod = await createModerator();
    const a = await passwordStep(mod);
    context().clock.advance(5 * 60_000 + 1000);
    const res = await sendCode(a, await currentCode(mod), '/admin');
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/login?next=%2Fadmin');
    const login = await a.get(res.headers.location);
    expect(login.text).to.contain('Det gick mer än fem minuter');
    expect((await a.get('/login/totp')).headers.location).to.equal('/login');
  });

  it('sends a visitor who has not given a password back to sign in', async () => {
    const res = await agent().get('/login/totp');
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/login');
    const a = agent();
    const page = await a.get('/login');
    const post = await a
      .post('/login/totp')
      .type('form')
      .send({ totp: '123456', _csrf: csrfFrom(page.text) });
    expect(post.status).to.equal(303);
    expect(post.headers.location).to.equal('/login');
  });

  it("never shows the secret to someone who passed the password step: enrolment is with the CLI's secret", async () => {
    const mod = await createModerator({ username: 'mod_new', confirmed: false });
    const a = await passwordStep(mod);
    const page = await a.get('/login/totp');
    expect(page.text).to.not.contain('data:image/png');
    expect(page.text).to.not.contain(mod.totpSecret!);
    expect(page.text).to.not.contain('otpauth://totp/Heka');
    expect(page.text).to.contain('npm run admin');
    // The moderator's app holds the secret the CLI printed: its code confirms the enrolment.
    expect((await sendCode(a, await currentCode(mod))).status).to.equal(303);
    await mod.reload();
    expect(mod.totpConfirmedAt).to.not.equal(null);
    context().clock.advance(31_000);
    const again = await passwordStep(mod);
    const later = await again.get('/login/totp');
    expect(later.text).to.not.contain('data:image/png');
    expect(later.text).to.not.contain(mod.totpSecret!);
  });

  it('keeps a moderator without a TOTP secret out of /admin', async () => {
    const mod = await createModerator({ totpSecret: null });
    const a = await passwordStep(mod);
    const page = await a.get('/login/totp');
    expect(page.text).to.contain('npm run admin -- promote');
    expect(page.text).to.not.contain('name="totp"');
    const res = await sendCode(a, '123456');
    expect(res.status).to.equal(403);
    expect((await a.get('/admin')).status).to.equal(303);
  });

  it('asks a tenant who was made a moderator while signed in for a code before /admin opens', async () => {
    const tenant = await createUser();
    const a = await signIn(tenant);
    expect((await a.get('/admin')).status).to.equal(403);
    const mod = await createModerator({ username: 'other_mod' });
    await User.update({ role: 'admin', totpSecret: mod.totpSecret }, { where: { id: tenant.id } });
    await tenant.reload();
    const res = await a.get('/admin/users');
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/login/totp?next=%2Fadmin%2Fusers');
    const done = await sendCode(a, await currentCode(tenant), '/admin/users');
    expect(done.status).to.equal(303);
    expect((await a.get('/admin/users')).status).to.equal(200);
  });

  it('grants no moderator power outside /admin (a paused listing, a hidden phone) before the code', async () => {
    const owner = await createUser({ phone: '+358401112223', showPhone: false });
    const paused = await createListing(owner, { status: 'paused' });
    const active = await createListing(await createUser({ phone: '+358409998887', showPhone: false }));
    const tenant = await createUser();
    const a = await signIn(tenant);
    const mod = await createModerator({ username: 'other_mod2' });
    await User.update({ role: 'admin', totpSecret: mod.totpSecret }, { where: { id: tenant.id } });
    // The role alone: a tenant's view.
    expect((await a.get(`/listings/${paused.id}`)).status).to.equal(404);
    expect((await a.get(`/listings/${active.id}`)).text).to.not.contain('+358409998887');
    // With the second factor: a moderator's view.
    await tenant.reload();
    await a.get('/admin');
    expect((await sendCode(a, await currentCode(tenant))).status).to.equal(303);
    expect((await a.get(`/listings/${paused.id}`)).status).to.equal(200);
    expect((await a.get(`/listings/${active.id}`)).text).to.contain('+358409998887');
  });

  it('makes a moderator whose password is under 15 characters change it before /admin opens', async () => {
    const mod = await createModerator({ password: 'twelve chars' });
    const a = agent();
    expect((await submit(a, '/login', { username: mod.username, password: 'twelve chars' })).status).to.equal(303);
    expect((await sendCode(a, await currentCode(mod))).status).to.equal(303);
    const admin = await a.get('/admin');
    expect(admin.status).to.equal(303);
    expect(admin.headers.location).to.equal('/account#password-title');
    expect((await a.get('/account')).text).to.contain('kortare än moderatorernas minst 15 tecken');
    const page = await a.get('/account');
    const changed = await a
      .post('/account/password')
      .type('form')
      .send({
        current_password: 'twelve chars',
        password: 'a much longer moderator passphrase',
        password_confirm: 'a much longer moderator passphrase',
        _csrf: csrfFrom(page.text),
      });
    expect(changed.status).to.equal(303);
    expect((await a.get('/admin')).status).to.equal(200);
  });

  it('ends the moderator session on sign-out like any other', async () => {
    const mod = await createModerator();
    const a = await signInModerator(mod);
    const page = await a.get('/admin');
    await a
      .post('/logout')
      .type('form')
      .send({ _csrf: csrfFrom(page.text) });
    expect((await a.get('/admin')).headers.location).to.equal('/login?next=%2Fadmin');
  });
});
