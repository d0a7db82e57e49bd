import { expect } from 'chai';
import { AuditLog } from '../../models/audit-log';
import { Session } from '../../models/session';
import { User } from '../../models/user';
import { context } from '../helpers/context';
import { createListing, createModerator, createUser } from '../helpers/factories';
import { agent, signIn, signInModerator, submit } from '../helpers/http';

describe('GET /admin/users', () => {
  it('finds tenants by part of their username or e-mail address, ignoring case, and shows the address', async () => {
    await createUser({ username: 'Kallio_Kaisa', email: 'kaisa@example.fi' });
    await createUser({ username: 'vallila_ville', email: 'ville.v@posti.fi' });
    await createUser({ username: 'per_cent', email: 'p@example.fi' });
    const a = await signInModerator(await createModerator({ username: 'mod_anna' }));
    const byName = await a.get('/admin/users?q=KAISA');
    expect(byName.text).to.contain('1 konto.');
    expect(byName.text).to.contain('Kallio_Kaisa');
    expect(byName.text).to.contain('kaisa@example.fi');
    const byMail = await a.get('/admin/users?q=posti.fi');
    expect(byMail.text).to.contain('vallila_ville');
    expect(byMail.text).to.not.contain('Kallio_Kaisa');
    // Wildcard characters are matched literally.
    expect((await a.get('/admin/users?q=%25')).text).to.contain('0 konton.');
    expect((await a.get('/admin/users?q=_k')).text).to.contain('Kallio_Kaisa');
    expect((await a.get('/admin/users?q=_k')).text).to.not.contain('per_cent');
    const all = await a.get('/admin/users');
    expect(all.text).to.contain('4 konton.');
    // Searching keeps the query in the field; odd query strings are a normal page.
    expect(byName.text).to.contain('value="KAISA"');
    expect((await a.get('/admin/users?q[]=x&page=-3')).status).to.equal(200);
  });

  it('pages through accounts 25 at a time', async () => {
    for (let i = 1; i <= 26; i++) await createUser({ username: `tenant_${String(i).padStart(2, '0')}` });
    const a = await signInModerator(await createModerator({ username: 'zz_mod' }));
    const first = await a.get('/admin/users?q=tenant_');
    expect(first.text).to.contain('26 konton.');
    expect(first.text).to.not.contain('tenant_26');
    expect(first.text).to.contain('href="/admin/users?q=tenant_&amp;page=2"');
    expect((await a.get('/admin/users?q=tenant_&page=2')).text).to.contain('tenant_26');
  });
});

describe('GET /admin/users/:id', () => {
  it("shows the tenant's details with their last login, and writes who looked to the audit log", async () => {
    const mod = await createModerator();
    const tenant = await createUser({ username: 'kaisa', phone: '+358401234567', lastLoginAt: new Date('2026-11-20T10:00:00Z') });
    const listing = await createListing(tenant);
    const a = await signInModerator(mod);
    const res = await a.get(`/admin/users/${tenant.id}`);
    expect(res.status).to.equal(200);
    expect(res.text).to.contain('kaisa@example.fi');
    expect(res.text).to.contain('+358401234567');
    expect(res.text).to.contain('20 nov. 2026 12.00');
    expect(res.text).to.contain(`href="/admin/listings/${listing.id}"`);
    const [row] = await AuditLog.findAll();
    expect(row.action).to.equal('view_user');
    expect(row.actorId).to.equal(mod.id);
    expect(row.targetId).to.equal(tenant.id);
    expect(row.targetLabel).to.equal(`user #${tenant.id}`);
  });
});

describe('POST /admin/users/:id/suspend|unsuspend', () => {
  it("suspends with a reason and ends the tenant's live sessions at once", async () => {
    const mod = await createModerator();
    const tenant = await createUser({ username: 'kaisa' });
    const phone = await signIn(tenant);
    const laptop = await signIn(tenant);
    expect((await phone.get('/')).text).to.contain('(kaisa)');
    const a = await signInModerator(mod);
    const res = await submit(
      a,
      `/admin/users/${tenant.id}/suspend`,
      { reason: 'Asked several tenants for money' },
      `/admin/users/${tenant.id}`,
    );
    expect(res.status).to.equal(303);
    await tenant.reload();
    expect(tenant.suspendedAt).to.not.equal(null);
    expect(tenant.suspendedReason).to.equal('Asked several tenants for money');
    expect(await Session.count({ where: { userId: tenant.id } })).to.equal(0);
    for (const device of [phone, laptop]) {
      const next = await device.get('/account');
      expect(next.status).to.equal(303);
      expect(next.headers.location).to.match(/^\/login/);
    }
    // At sign-in they see why.
    const again = await submit(agent(), '/login', { username: 'kaisa', password: 'correct horse battery staple' });
    expect(again.status).to.equal(403);
    expect(again.text).to.contain('Asked several tenants for money');
    const [row] = await AuditLog.findAll({ where: { action: 'suspend_user' } });
    expect(row.reason).to.equal('Asked several tenants for money');
    expect(row.targetLabel).to.equal(`user #${tenant.id}`);
    // The moderator is still signed in.
    expect((await a.get('/admin')).status).to.equal(200);
  });

  it('re-renders with 422 and keeps the input when the reason is missing or too long', async () => {
    const tenant = await createUser();
    const a = await signInModerator(await createModerator());
    const res = await submit(a, `/admin/users/${tenant.id}/suspend`, { reason: '' }, `/admin/users/${tenant.id}`);
    expect(res.status).to.equal(422);
    expect(res.text).to.match(/id="field-reason"[^>]*aria-invalid="true"/);
    const long = 'z'.repeat(501);
    const tooLong = await submit(a, `/admin/users/${tenant.id}/suspend`, { reason: long }, `/admin/users/${tenant.id}`);
    expect(tooLong.status).to.equal(422);
    expect(tooLong.text).to.contain(long);
    expect((await User.findByPk(tenant.id))!.suspendedAt).to.equal(null);
    expect(await AuditLog.count({ where: { action: 'suspend_user' } })).to.equal(0);
  });

  it("takes a suspended tenant's listing out of search, and leaves it for the tenant to resume afterwards", async () => {
    const tenant = await createUser({ username: 'kaisa' });
    const listing = await createListing(tenant);
    const visitor = agent();
    expect((await visitor.get('/listings')).text).to.contain(`href="/listings/${listing.id}"`);
    const a = await signInModerator(await createModerator());
    await submit(a, `/admin/users/${tenant.id}/suspend`, { reason: 'Spam' }, `/admin/users/${tenant.id}`);
    expect((await visitor.get('/listings')).text).to.not.contain(`href="/listings/${listing.id}"`);
    expect((await visitor.get(`/listings/${listing.id}`)).status).to.equal(404);
    await submit(a, `/admin/users/${tenant.id}/unsuspend`, { reason: 'Apologised' }, `/admin/users/${tenant.id}`);
    const owner = await signIn(tenant);
    const resumed = await submit(owner, `/listings/${listing.id}/resume`, {}, `/listings/${listing.id}`);
    expect(resumed.status).to.equal(303);
    expect((await visitor.get('/listings')).text).to.contain(`href="/listings/${listing.id}"`);
  });

  it('lifts a suspension', async () => {
    const tenant = await createUser({ username: 'kaisa', suspended: 'Spam' });
    const a = await signInModerator(await createModerator());
    const res = await submit(a, `/admin/users/${tenant.id}/unsuspend`, { reason: 'Apologised' }, `/admin/users/${tenant.id}`);
    expect(res.status).to.equal(303);
    await tenant.reload();
    expect(tenant.suspendedAt).to.equal(null);
    expect(tenant.suspendedReason).to.equal(null);
    expect((await AuditLog.findAll({ where: { action: 'unsuspend_user' } }))[0].reason).to.equal('Apologised');
    expect((await submit(agent(), '/login', { username: 'kaisa', password: 'correct horse battery staple' })).status).to.equal(
      303,
    );
  });

  it('does not let a moderator suspend themselves or another moderator', async () => {
    const mod = await createModerator();
    const other = await createModerator();
    const a = await signInModerator(mod);
    for (const target of [mod, other]) {
      const res = await submit(a, `/admin/users/${target.id}/suspend`, { reason: 'Testing' }, '/admin');
      expect(res.status).to.equal(403);
      expect((await User.findByPk(target.id))!.suspendedAt).to.equal(null);
    }
    expect(await AuditLog.count({ where: { action: 'suspend_user' } })).to.equal(0);
    const page = await a.get(`/admin/users/${other.id}`);
    expect(page.text).to.not.contain('/suspend"');
  });

  it('writes no audit row and suspends no one when the change fails after the audit insert', async () => {
    const tenant = await createUser();
    const a = await signInModerator(await createModerator());
    const original = User.update;
    User.update = (async () => {
      throw new Error('disk full');
    }) as unknown as typeof User.update;
    let res;
    try {
      res = await submit(a, `/admin/users/${tenant.id}/suspend`, { reason: 'Spam' }, '/admin');
    } finally {
      User.update = original;
    }
    expect(res.status).to.equal(500);
    expect(await AuditLog.count({ where: { action: 'suspend_user' } })).to.equal(0);
    expect((await User.findByPk(tenant.id))!.suspendedAt).to.equal(null);
  });

  it('keeps e-mail, phone and username out of the audit rows and the logs', async () => {
    const tenant = await createUser({ username: 'kaisa', email: 'kaisa@example.fi', phone: '+358401234567' });
    const a = await signInModerator(await createModerator({ username: 'mod_anna' }));
    await a.get(`/admin/users/${tenant.id}`);
    await submit(a, `/admin/users/${tenant.id}/suspend`, { reason: 'Spam' }, `/admin/users/${tenant.id}`);
    const stored = JSON.stringify(await AuditLog.findAll({ raw: true }));
    const logs = context().logs.text();
    for (const personal of ['kaisa', 'example.fi', '358401234567', 'mod_anna']) {
      expect(stored).to.not.contain(personal);
      expect(logs).to.not.contain(personal);
    }
  });
});
