import { expect } from 'chai';
import { AuditLog } from '../../models/audit-log';
import { Report } from '../../models/report';
import { User } from '../../models/user';
import { context } from '../helpers/context';
import {
  createConversation,
  createListing,
  createModerator,
  createUser,
  reportListing,
  reportMessage,
} from '../helpers/factories';
import { signInModerator, submit } from '../helpers/http';

describe('GET /admin/reports', () => {
  it('lists open reports of listings and messages oldest first, with reason, details and reporter', async () => {
    const mod = await createModerator();
    const kaisa = await createUser({ username: 'kaisa' });
    const owner = await createUser({ username: 'owner_olli' });
    const listing = await createListing(owner);
    const { messages } = await createConversation(listing, kaisa, ['Hej, är lägenheten kvar?', 'Ja, men det kostar 500 euro.']);
    await reportMessage(kaisa, messages[1], {
      reason: 'money',
      details: 'Asks for money',
      createdAt: new Date('2026-11-02T10:00:00Z'),
    });
    const gone = await createUser({ username: 'soon_gone' });
    await reportListing(gone, listing, {
      reason: 'fake',
      details: 'Not a real flat',
      createdAt: new Date('2026-11-01T10:00:00Z'),
    });
    await gone.destroy();
    const closed = await reportListing(kaisa, listing, { reason: 'offensive', details: 'Old and handled' });
    await closed.update({ status: 'resolved' });

    const a = await signInModerator(mod);
    const res = await a.get('/admin/reports');
    expect(res.status).to.equal(200);
    expect(res.text).to.contain('2 öppna anmälningar, äldst först.');
    // Oldest first: the listing report (from a deleted account) before the message report.
    expect(res.text.indexOf('Not a real flat')).to.be.lessThan(res.text.indexOf('Asks for money'));
    expect(res.text).to.contain('borttagen användare');
    expect(res.text).to.contain('kaisa');
    expect(res.text).to.contain('Falsk eller vilseledande');
    expect(res.text).to.contain('Pengar eller tjänster begärs för bytet');
    expect(res.text).to.contain(`href="/admin/listings/${listing.id}"`);
    expect(res.text).to.not.contain('Old and handled');
    // The queue never shows a message's text; that takes opening the report.
    expect(res.text).to.not.contain('500 euro');
  });

  it('says so when the queue is empty', async () => {
    const a = await signInModerator(await createModerator());
    expect((await a.get('/admin/reports')).text).to.contain('Inga öppna anmälningar.');
  });
});

describe('GET /admin/reports/:id', () => {
  it('shows a reported message with at most two neighbours each side, and logs who looked and why', async () => {
    const mod = await createModerator();
    const kaisa = await createUser();
    const listing = await createListing();
    const bodies = Array.from({ length: 9 }, (_, i) => `Message number ${i + 1}.`);
    const { messages } = await createConversation(listing, kaisa, bodies);
    const report = await reportMessage(kaisa, messages[4], { details: 'Rude' });
    const a = await signInModerator(mod);
    const res = await a.get(`/admin/reports/${report.id}`);
    expect(res.status).to.equal(200);
    for (const n of [3, 4, 5, 6, 7]) expect(res.text).to.contain(`Message number ${n}.`);
    for (const n of [1, 2, 8, 9]) expect(res.text).to.not.contain(`Message number ${n}.`);
    expect(res.text).to.match(/aria-current="true">\s*<p class="meta"><strong>Anmält meddelande:<\/strong>/);
    const rows = await AuditLog.findAll();
    expect(rows).to.have.length(1);
    expect(rows[0].action).to.equal('view_reported_message');
    expect(rows[0].actorId).to.equal(mod.id);
    expect(rows[0].reportId).to.equal(report.id);
    expect(rows[0].targetLabel).to.equal(`message #${messages[4].id}`);
  });

  it('shows the first message of a conversation with only the messages after it', async () => {
    const kaisa = await createUser();
    const { messages } = await createConversation(await createListing(), kaisa, ['One.', 'Two.', 'Three.', 'Four.']);
    const report = await reportMessage(kaisa, messages[0]);
    const a = await signInModerator(await createModerator());
    const res = await a.get(`/admin/reports/${report.id}`);
    expect(res.text).to.contain('One.');
    expect(res.text).to.contain('Three.');
    expect(res.text).to.not.contain('Four.');
  });

  it('says when the reported message has been deleted', async () => {
    const kaisa = await createUser();
    const { messages } = await createConversation(await createListing(), kaisa, ['Gone soon.']);
    const report = await reportMessage(kaisa, messages[0]);
    await messages[0].destroy();
    const a = await signInModerator(await createModerator());
    const res = await a.get(`/admin/reports/${report.id}`);
    expect(res.status).to.equal(200);
    expect(res.text).to.contain('Meddelandet har raderats.');
    expect(await AuditLog.count()).to.equal(0);
  });

  it('shows a listing report with a link to the listing, without an audit row', async () => {
    const listing = await createListing(undefined, { description: 'Sunny flat by the sea' });
    const report = await reportListing(await createUser(), listing);
    const a = await signInModerator(await createModerator());
    const res = await a.get(`/admin/reports/${report.id}`);
    expect(res.text).to.contain('Sunny flat by the sea');
    expect(res.text).to.contain(`href="/admin/listings/${listing.id}"`);
    expect(await AuditLog.count()).to.equal(0);
  });
});

describe('acting on a report from its page', () => {
  it("links the reported message's sender, says which language they read and offers to suspend them", async () => {
    const sender = await createUser({ username: 'rude_rolf', locale: 'fi' });
    const owner = await createUser();
    const listing = await createListing(owner);
    const { messages } = await createConversation(listing, sender, ['Rude words.']);
    const report = await reportMessage(owner, messages[0]);
    const a = await signInModerator(await createModerator());
    const res = await a.get(`/admin/reports/${report.id}`);
    expect(res.text).to.contain(`<a href="/admin/users/${sender.id}">rude_rolf</a> (Suomi)`);
    expect(res.text).to.contain('läser tjänsten på: Suomi');
    expect(res.text).to.contain(`action="/admin/users/${sender.id}/suspend"`);
    const suspend = await submit(
      a,
      `/admin/users/${sender.id}/suspend`,
      { reason: 'Epäasiallinen kieli', return: `/admin/reports/${report.id}` },
      `/admin/reports/${report.id}`,
    );
    expect(suspend.headers.location).to.equal(`/admin/reports/${report.id}`);
    expect((await User.findByPk(sender.id))!.suspendedAt).to.be.instanceOf(Date);
  });

  it('hides the reported listing from the report page, which resolves the report and returns to the queue', async () => {
    const listing = await createListing(await createUser({ locale: 'fi' }));
    const report = await reportListing(await createUser(), listing);
    const a = await signInModerator(await createModerator());
    const page = await a.get(`/admin/reports/${report.id}`);
    expect(page.text).to.contain(`action="/admin/listings/${listing.id}/hide"`);
    expect(page.text).to.contain('Skriv orsaken på det språk hyresgästen läser: Suomi.');
    const res = await submit(
      a,
      `/admin/listings/${listing.id}/hide`,
      { reason: 'Pyytää rahaa', return: '/admin/reports' },
      `/admin/reports/${report.id}`,
    );
    expect(res.headers.location).to.equal('/admin/reports');
    expect((await a.get('/admin/reports')).text).to.contain('Inga öppna anmälningar.');
    await report.reload();
    expect(report.status).to.equal('resolved');
  });

  it('never sends an action back to a page outside /admin', async () => {
    const listing = await createListing();
    const a = await signInModerator(await createModerator());
    const res = await submit(
      a,
      `/admin/listings/${listing.id}/hide`,
      { reason: 'x', return: 'https://evil.example/' },
      `/admin/listings/${listing.id}`,
    );
    expect(res.headers.location).to.equal(`/admin/listings/${listing.id}`);
  });
});

describe('POST /admin/reports/:id/resolve|dismiss', () => {
  it('resolves a report with a note, and writes the audit row with it', async () => {
    const mod = await createModerator();
    const report = await reportListing(await createUser(), await createListing());
    const a = await signInModerator(mod);
    const res = await submit(a, `/admin/reports/${report.id}/resolve`, { note: 'Listing hidden' }, '/admin/reports');
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/admin/reports');
    await report.reload();
    expect(report.status).to.equal('resolved');
    expect(report.handledById).to.equal(mod.id);
    expect(report.resolutionNote).to.equal('Listing hidden');
    const [row] = await AuditLog.findAll();
    expect(row.action).to.equal('resolve_report');
    expect(row.reason).to.equal('Listing hidden');
    expect(row.reportId).to.equal(report.id);
    expect(row.targetLabel).to.equal(`report #${report.id}`);
    const queue = await a.get('/admin/reports');
    expect(queue.text).to.contain(`Anmälan #${report.id} är åtgärdad.`);
    expect(queue.text).to.contain('Inga öppna anmälningar.');
  });

  it('dismisses a report without a note', async () => {
    const report = await reportListing(await createUser(), await createListing());
    const a = await signInModerator(await createModerator());
    const res = await submit(a, `/admin/reports/${report.id}/dismiss`, {}, '/admin/reports');
    expect(res.status).to.equal(303);
    await report.reload();
    expect(report.status).to.equal('dismissed');
    expect(report.resolutionNote).to.equal(null);
    expect((await AuditLog.findAll())[0].action).to.equal('dismiss_report');
  });

  it('re-renders with 422 and keeps the note when it is too long, changing nothing', async () => {
    const report = await reportListing(await createUser(), await createListing());
    const a = await signInModerator(await createModerator());
    const note = 'x'.repeat(1001);
    const res = await submit(a, `/admin/reports/${report.id}/resolve`, { note }, '/admin/reports');
    expect(res.status).to.equal(422);
    expect(res.text).to.match(/id="field-note"[^>]*aria-invalid="true"/);
    expect(res.text).to.contain(note);
    expect((await Report.findByPk(report.id))!.status).to.equal('open');
    expect(await AuditLog.count()).to.equal(0);
  });

  it('answers 403 to handling a report that is already closed', async () => {
    const report = await reportListing(await createUser(), await createListing());
    await report.update({ status: 'dismissed' });
    const a = await signInModerator(await createModerator());
    const res = await submit(a, `/admin/reports/${report.id}/resolve`, {}, '/admin/reports');
    expect(res.status).to.equal(403);
    expect(await AuditLog.count()).to.equal(0);
  });

  it('writes no audit row when another moderator closed the report a moment earlier', async () => {
    const mod = await createModerator();
    const report = await reportListing(await createUser(), await createListing());
    const other = await createModerator();
    const service = context().board.services.moderation;
    // Both loaded it while open; the other moderator is first.
    const mine = await Report.findByPk(report.id);
    await service.handleReport((await User.findByPk(other.id))!, report, 'dismissed', 'Duplicate');
    let failed: unknown;
    await service.handleReport(mod, mine!, 'resolved', 'Mine').catch((e: unknown) => (failed = e));
    expect((failed as { status?: number }).status).to.equal(409);
    const rows = await AuditLog.findAll();
    expect(rows.map((r) => r.actorId)).to.deep.equal([other.id]);
    expect((await Report.findByPk(report.id))!.status).to.equal('dismissed');
  });
});
