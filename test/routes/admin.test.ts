import { expect } from 'chai';
import { AuditLog } from '../../models/audit-log';
import { Listing } from '../../models/listing';
import { PurgeRun } from '../../models/purge-run';
import { Report } from '../../models/report';
import { User } from '../../models/user';
import { context } from '../helpers/context';
import { createListing, createModerator, createUser, reportListing } from '../helpers/factories';
import { agent, csrfToken, signIn, signInModerator, submit } from '../helpers/http';

const ADMIN_PAGES = ['/admin', '/admin/reports', '/admin/listings', '/admin/users', '/admin/audit'];

describe('the /admin guard', () => {
  it('sends anonymous visitors to sign in, and back afterwards', async () => {
    for (const path of [...ADMIN_PAGES, '/admin/users/1', '/admin/listings?status=hidden']) {
      const res = await agent().get(path);
      expect(res.status, path).to.equal(303);
      expect(res.headers.location, path).to.equal(`/login?next=${encodeURIComponent(path)}`);
    }
  });

  it('answers 403 to signed-in tenants on every admin page', async () => {
    const a = await signIn(await createUser());
    for (const path of [...ADMIN_PAGES, '/admin/users/1', '/admin/reports/1', '/admin/listings/1']) {
      const res = await a.get(path);
      expect(res.status, path).to.equal(403);
      expect(res.text).to.contain('Åtkomst nekad');
    }
  });

  it("answers 403 to a tenant's forged POST to every admin action, with their own valid CSRF token, and changes nothing", async () => {
    const tenant = await createUser();
    const victim = await createUser();
    const listing = await createListing(victim);
    const hidden = await createListing(undefined, { status: 'hidden', hiddenReason: 'Fake' });
    const report = await reportListing(tenant, listing);
    const a = await signIn(tenant);
    const routes = [
      `/admin/listings/${listing.id}/hide`,
      `/admin/listings/${hidden.id}/restore`,
      `/admin/listings/${listing.id}/remove`,
      `/admin/users/${victim.id}/suspend`,
      `/admin/users/${victim.id}/unsuspend`,
      `/admin/reports/${report.id}/resolve`,
      `/admin/reports/${report.id}/dismiss`,
    ];
    for (const path of routes) {
      const res = await submit(a, path, { reason: 'Because I say so', note: 'forged' }, '/');
      expect(res.status, path).to.equal(403);
    }
    expect((await Listing.findByPk(listing.id))!.status).to.equal('active');
    expect((await Listing.findByPk(hidden.id))!.status).to.equal('hidden');
    expect((await User.findByPk(victim.id))!.suspendedAt).to.equal(null);
    expect((await Report.findByPk(report.id))!.status).to.equal('open');
    expect(await AuditLog.count()).to.equal(0);
  });

  it('answers 403 to a POST without a CSRF token, even from a moderator', async () => {
    const mod = await createModerator();
    const listing = await createListing();
    const a = await signInModerator(mod);
    const res = await a.post(`/admin/listings/${listing.id}/hide`).type('form').send({ reason: 'Fake' });
    expect(res.status).to.equal(403);
    expect((await Listing.findByPk(listing.id))!.status).to.equal('active');
  });

  it('sends an anonymous POST with a valid token to sign in and changes nothing', async () => {
    const listing = await createListing();
    const a = agent();
    const token = await csrfToken(a);
    const res = await a.post(`/admin/listings/${listing.id}/hide`).type('form').send({ reason: 'Fake', _csrf: token });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.match(/^\/login/);
    expect((await Listing.findByPk(listing.id))!.status).to.equal('active');
  });

  it('answers 404 to ids that are not numbers or do not exist', async () => {
    const a = await signInModerator(await createModerator());
    for (const path of [
      '/admin/users/abc',
      '/admin/users/999999',
      '/admin/listings/1e3',
      '/admin/reports/-1',
      '/admin/reports/424242',
    ]) {
      expect((await a.get(path)).status, path).to.equal(404);
    }
  });
});

describe('GET /admin', () => {
  it('shows the counts, the last purge runs and the moderators with their last login', async () => {
    context().clock.set('2026-11-28T10:00:00Z');
    const mod = await createModerator({ username: 'mod_anna', lastLoginAt: new Date('2026-11-20T08:00:00Z') });
    await createModerator({ username: 'mod_bertil', lastLoginAt: new Date('2026-10-01T09:30:00Z') });
    const reporter = await createUser();
    const listing = await createListing();
    await createListing(undefined, { status: 'hidden', hiddenReason: 'x' });
    await createListing(undefined, { status: 'hidden', hiddenReason: 'y' });
    await createUser({ suspended: 'Spam' });
    await reportListing(reporter, listing);
    await PurgeRun.create({
      startedAt: new Date('2026-11-28T01:30:00Z'),
      finishedAt: new Date('2026-11-28T01:30:02Z'),
      asOf: new Date('2026-11-28T01:30:00Z'),
      dryRun: false,
      deletedCount: 17,
      warnedCount: 3,
      outcome: 'ok',
      error: null,
    });
    const a = await signInModerator(mod);
    const res = await a.get('/admin');
    expect(res.status).to.equal(200);
    const text = res.text.replace(/\s+/g, ' ');
    expect(text).to.contain('<span class="admin-stat">1</span> öppna anmälningar');
    expect(text).to.contain('<span class="admin-stat">1</span> aktiva annonser');
    expect(text).to.contain('<span class="admin-stat">2</span> dolda annonser');
    // Tenants: the reporter, three listing owners, the suspended one.
    expect(text).to.contain('<span class="admin-stat">5</span> hyresgästkonton');
    expect(text).to.contain('<span class="admin-stat">1</span> avstängda konton');
    expect(text).to.match(/<td>17<\/td>/);
    expect(text).to.contain('klar');
    expect(text).to.contain('mod_anna');
    expect(text).to.contain('mod_bertil');
    expect(text).to.contain('1 okt. 2026 12.30');
  });

  it('says so when the purge job has not run yet', async () => {
    const a = await signInModerator(await createModerator());
    const res = await a.get('/admin');
    expect(res.text).to.contain('Raderingen har inte körts ännu.');
  });

  it('is sent with no-store and noindex, like every signed-in page', async () => {
    const a = await signInModerator(await createModerator());
    const res = await a.get('/admin');
    expect(res.headers['cache-control']).to.contain('no-store');
    expect(res.text).to.contain('noindex');
  });
});

describe('GET /admin/audit', () => {
  it('lists every action newest first with who, when, what, target and reason, 50 per page', async () => {
    const mod = await createModerator({ username: 'mod_anna' });
    const base = new Date('2026-11-01T00:00:00Z').getTime();
    await AuditLog.bulkCreate(
      Array.from({ length: 55 }, (_, i) => ({
        actorId: mod.id,
        action: 'hide_listing',
        targetType: 'listing',
        targetId: i + 1,
        targetLabel: `listing #${i + 1}`,
        reason: `Reason ${i + 1}`,
        reportId: null,
        createdAt: new Date(base + i * 60_000),
      })),
    );
    await AuditLog.create({
      actorId: 4242,
      action: 'suspend_user',
      targetType: 'user',
      targetId: 7,
      targetLabel: 'user #7',
      reason: 'Spam',
      reportId: null,
      createdAt: new Date(base + 100 * 60_000),
    });
    await AuditLog.create({
      actorId: null,
      action: 'promote_moderator',
      targetType: 'user',
      targetId: mod.id,
      targetLabel: `user #${mod.id}`,
      reason: null,
      reportId: null,
      createdAt: new Date(base - 60_000),
    });
    const a = await signInModerator(mod);
    const first = await a.get('/admin/audit');
    expect(first.status).to.equal(200);
    // A moderator who no longer exists is shown by id.
    expect(first.text.indexOf('#4242')).to.be.lessThan(first.text.indexOf('annons #55'));
    expect(first.text.indexOf('annons #55')).to.be.lessThan(first.text.indexOf('annons #54'));
    expect(first.text).to.contain('Stängde av ett konto');
    expect(first.text).to.contain('Reason 55');
    expect(first.text).to.contain('mod_anna');
    expect(first.text).to.not.contain('annons #6<');
    expect(first.text).to.contain('href="/admin/audit?page=2"');
    const second = await a.get('/admin/audit?page=2');
    expect(second.text).to.contain('annons #1<');
    expect(second.text).to.contain('Serverns administratör (kommandorad)');
    // Narrowed to one kind of action, or to one target's history.
    const suspensions = await a.get('/admin/audit?action=suspend_user');
    expect(suspensions.text).to.contain('Stängde av ett konto');
    expect(suspensions.text).to.not.contain('annons #55');
    expect(suspensions.text).to.contain('<option value="suspend_user" selected>');
    const one = await a.get('/admin/audit?type=listing&id=54');
    expect(one.text).to.contain('annons #54<');
    expect(one.text).to.not.contain('annons #55<');
    expect(suspensions.text).to.contain('<a href="/admin/users/7">konto #7</a>');
    // Junk in the query string is a normal page.
    expect((await a.get('/admin/audit?page=abc')).status).to.equal(200);
    expect((await a.get('/admin/audit?page=99')).status).to.equal(200);
  });
});
