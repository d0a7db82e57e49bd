import { expect } from 'chai';
import { AuditLog } from '../../models/audit-log';
import { Listing } from '../../models/listing';
import { User } from '../../models/user';
import { context } from '../helpers/context';
import { createListing, createModerator, createUser, reportListing } from '../helpers/factories';
import { agent, signIn, signInModerator, submit } from '../helpers/http';

describe('GET /admin/listings', () => {
  it('lists listings in every state, newest first, and filters by state', async () => {
    const base = new Date('2026-11-01T00:00:00Z').getTime();
    const states = ['active', 'paused', 'hidden', 'removed'] as const;
    for (const [i, status] of states.entries()) {
      await createListing(await createUser({ username: `owner_${status}` }), {
        status,
        createdAt: new Date(base + i * 3600_000),
      });
    }
    const a = await signInModerator(await createModerator());
    const all = await a.get('/admin/listings');
    expect(all.status).to.equal(200);
    expect(all.text).to.contain('4 annonser.');
    for (const status of states) expect(all.text).to.contain(`owner_${status}`);
    expect(all.text.indexOf('owner_removed')).to.be.lessThan(all.text.indexOf('owner_active'));
    const hidden = await a.get('/admin/listings?status=hidden');
    expect(hidden.text).to.contain('1 annons.');
    expect(hidden.text).to.contain('owner_hidden');
    expect(hidden.text).to.not.contain('owner_active');
    expect(hidden.text).to.match(/href="\/admin\/listings\?status=hidden" aria-current="page"/);
    // An unknown filter shows everything.
    expect((await a.get('/admin/listings?status=%3Cscript%3E')).text).to.contain('4 annonser.');
  });

  it('shows the listings whose owners asked for a review, oldest request first', async () => {
    const first = await createListing(await createUser({ username: 'asked_first' }), { status: 'hidden', hiddenReason: 'x' });
    const second = await createListing(await createUser({ username: 'asked_second' }), { status: 'hidden', hiddenReason: 'y' });
    await createListing(await createUser({ username: 'not_asking' }), { status: 'hidden', hiddenReason: 'z' });
    await second.update({ reviewRequestedAt: new Date('2026-11-03T00:00:00Z') });
    await first.update({ reviewRequestedAt: new Date('2026-11-02T00:00:00Z') });
    const a = await signInModerator(await createModerator());
    const res = await a.get('/admin/listings?status=review');
    expect(res.text).to.contain('2 annonser.');
    expect(res.text.indexOf('asked_first')).to.be.lessThan(res.text.indexOf('asked_second'));
    expect(res.text).to.not.contain('not_asking');
  });

  it('pages through many listings 25 at a time, keeping the filter in the links', async () => {
    const base = new Date('2026-11-01T00:00:00Z').getTime();
    for (let i = 1; i <= 27; i++) {
      await createListing(await createUser({ username: `owner_${String(i).padStart(2, '0')}` }), {
        createdAt: new Date(base + i * 60_000),
      });
    }
    const a = await signInModerator(await createModerator());
    const first = await a.get('/admin/listings?status=active');
    expect(first.text).to.contain('27 annonser.');
    expect(first.text).to.contain('owner_27');
    expect(first.text).to.not.contain('owner_02<');
    expect(first.text).to.contain('href="/admin/listings?status=active&amp;page=2"');
    const second = await a.get('/admin/listings?status=active&page=2');
    expect(second.text).to.contain('owner_01');
    expect(second.text).to.contain('owner_02');
    expect(second.text).to.not.contain('owner_03');
  });
});

describe('GET /admin/listings/:id', () => {
  it('shows the listing, its owner and open reports about it, with the actions its state allows', async () => {
    const owner = await createUser({ username: 'owner_olli' });
    const listing = await createListing(owner, { description: 'Two rooms in Kallio' });
    await reportListing(await createUser(), listing, { reason: 'not_own_flat' });
    const a = await signInModerator(await createModerator());
    const res = await a.get(`/admin/listings/${listing.id}`);
    expect(res.status).to.equal(200);
    expect(res.text).to.contain('Two rooms in Kallio');
    expect(res.text).to.contain(`href="/admin/users/${owner.id}">owner_olli`);
    expect(res.text).to.contain('Inte hyresgästens egen bostad');
    expect(res.text).to.contain(`formaction="/admin/listings/${listing.id}/hide"`);
    expect(res.text).to.contain(`href="/admin/listings/${listing.id}/remove"`);
    expect(res.text).to.not.contain(`formaction="/admin/listings/${listing.id}/restore"`);
    expect(res.text).to.contain('läser tjänsten på: Svenska');
  });
});

describe('POST /admin/listings/:id/hide|restore|remove', () => {
  it('hides a listing with a reason the owner will see, and writes the audit row in the same step', async () => {
    const mod = await createModerator();
    const listing = await createListing();
    await listing.update({ reviewRequestedAt: new Date() });
    const a = await signInModerator(mod);
    const res = await submit(
      a,
      `/admin/listings/${listing.id}/hide`,
      { reason: 'Asks for key money' },
      `/admin/listings/${listing.id}`,
    );
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal(`/admin/listings/${listing.id}`);
    await listing.reload();
    expect(listing.status).to.equal('hidden');
    expect(listing.hiddenReason).to.equal('Asks for key money');
    expect(listing.reviewRequestedAt).to.equal(null);
    const [row] = await AuditLog.findAll();
    expect(row.action).to.equal('hide_listing');
    expect(row.actorId).to.equal(mod.id);
    expect(row.targetType).to.equal('listing');
    expect(row.targetId).to.equal(listing.id);
    expect(row.targetLabel).to.equal(`listing #${listing.id}`);
    expect(row.reason).to.equal('Asks for key money');
    const page = await a.get(`/admin/listings/${listing.id}`);
    expect(page.text).to.contain(`Annons #${listing.id} är dold. Hyresgästen ser orsaken.`);
    expect(page.text).to.contain(`formaction="/admin/listings/${listing.id}/restore"`);
    expect(page.text).to.not.contain(`formaction="/admin/listings/${listing.id}/hide"`);
  });

  it('re-renders with 422 and the input kept when the reason is missing or too long', async () => {
    const listing = await createListing();
    const a = await signInModerator(await createModerator());
    const empty = await submit(a, `/admin/listings/${listing.id}/hide`, { reason: '   ' }, `/admin/listings/${listing.id}`);
    expect(empty.status).to.equal(422);
    expect(empty.text).to.match(/id="field-reason"[^>]*aria-invalid="true"/);
    expect(empty.text).to.contain('Fyll i fältet.');
    const long = 'y'.repeat(501);
    const tooLong = await submit(a, `/admin/listings/${listing.id}/hide`, { reason: long }, `/admin/listings/${listing.id}`);
    expect(tooLong.status).to.equal(422);
    expect(tooLong.text).to.contain(long);
    expect((await Listing.findByPk(listing.id))!.status).to.equal('active');
    expect(await AuditLog.count()).to.equal(0);
  });

  it('restores a hidden listing and clears the reason', async () => {
    const listing = await createListing(undefined, { status: 'hidden', hiddenReason: 'Fake photos' });
    const a = await signInModerator(await createModerator());
    const res = await submit(
      a,
      `/admin/listings/${listing.id}/restore`,
      { reason: 'Owner sent real photos' },
      `/admin/listings/${listing.id}`,
    );
    expect(res.status).to.equal(303);
    await listing.reload();
    expect(listing.status).to.equal('active');
    expect(listing.hiddenReason).to.equal(null);
    const [row] = await AuditLog.findAll();
    expect(row.action).to.equal('restore_listing');
    expect(row.reason).to.equal('Owner sent real photos');
  });

  it('removes a listing only with a reason, after a confirmation page that works without JavaScript', async () => {
    const listing = await createListing();
    const a = await signInModerator(await createModerator());
    const confirm = await a.get(`/admin/listings/${listing.id}/remove`);
    expect(confirm.status).to.equal(200);
    expect(confirm.text).to.contain(`Ta bort annons #${listing.id} för gott?`);
    expect(confirm.text).to.contain(`action="/admin/listings/${listing.id}/remove"`);
    expect((await Listing.findByPk(listing.id))!.status).to.equal('active');
    const noReason = await submit(a, `/admin/listings/${listing.id}/remove`, {}, `/admin/listings/${listing.id}`);
    expect(noReason.status).to.equal(422);
    expect(noReason.text).to.contain('id="field-reason-error"');
    expect(noReason.text).to.contain('Ta bort annons');
    expect((await Listing.findByPk(listing.id))!.status).to.equal('active');
    const res = await submit(a, `/admin/listings/${listing.id}/remove`, { reason: 'Spam' }, `/admin/listings/${listing.id}`);
    expect(res.status).to.equal(303);
    await listing.reload();
    expect(listing.status).to.equal('removed');
    expect((await AuditLog.findAll())[0].action).to.equal('remove_listing');
  });

  it('resolves the open reports of a listing it hides, and e-mails the owner in their language without the reason', async () => {
    const owner = await createUser({ locale: 'fi', email: 'omistaja@example.fi' });
    const listing = await createListing(owner);
    const report = await reportListing(await createUser(), listing);
    const a = await signInModerator(await createModerator());
    await submit(a, `/admin/listings/${listing.id}/hide`, { reason: 'Pyytää avainrahaa' }, `/admin/listings/${listing.id}`);
    await report.reload();
    expect(report.status).to.equal('resolved');
    expect(report.resolutionNote).to.equal('Pyytää avainrahaa');
    expect((await AuditLog.findAll()).map((r) => r.action).sort()).to.deep.equal(['hide_listing', 'resolve_report']);
    const mail = context().mailer.last('omistaja@example.fi')!;
    expect(mail.subject).to.equal('Moderaattorit piilottivat ilmoituksesi Asunnonvaihtopörssissä');
    expect(mail.text).to.contain(`http://board.test/listings/${listing.id}`);
    expect(mail.text).to.not.contain('avainrahaa');
  });

  it("answers 403 to an action the listing's state does not allow", async () => {
    const active = await createListing();
    const removed = await createListing(undefined, { status: 'removed' });
    const a = await signInModerator(await createModerator());
    expect((await submit(a, `/admin/listings/${active.id}/restore`, {}, '/admin')).status).to.equal(403);
    expect((await submit(a, `/admin/listings/${removed.id}/hide`, { reason: 'x' }, '/admin')).status).to.equal(403);
    expect((await submit(a, `/admin/listings/${removed.id}/remove`, { reason: 'x' }, '/admin')).status).to.equal(403);
    expect(await AuditLog.count()).to.equal(0);
  });

  it('writes no audit row when the change fails after the audit insert (one transaction)', async () => {
    const listing = await createListing();
    const a = await signInModerator(await createModerator());
    const original = Listing.update;
    Listing.update = (async () => {
      throw new Error('disk full');
    }) as unknown as typeof Listing.update;
    let res;
    try {
      res = await submit(a, `/admin/listings/${listing.id}/hide`, { reason: 'Fake' }, `/admin/listings/${listing.id}`);
    } finally {
      Listing.update = original;
    }
    expect(res.status).to.equal(500);
    expect(await AuditLog.count()).to.equal(0);
    expect((await Listing.findByPk(listing.id))!.status).to.equal('active');
  });

  it('writes no audit row when the listing was deleted between loading and hiding', async () => {
    const mod = await createModerator();
    const listing = await createListing();
    const loaded = (await Listing.findByPk(listing.id))!;
    await listing.destroy();
    let failed: unknown;
    await context()
      .board.services.moderation.hideListing((await User.findByPk(mod.id))!, loaded, 'Fake')
      .catch((e: unknown) => (failed = e));
    expect((failed as { status?: number }).status).to.equal(404);
    expect(await AuditLog.count()).to.equal(0);
  });

  it('keeps the audit row readable after the listing and its owner are gone', async () => {
    const owner = await createUser({ username: 'owner_olli', email: 'olli@example.fi', phone: '+358401234567' });
    const listing = await createListing(owner);
    const mod = await createModerator();
    const a = await signInModerator(mod);
    await submit(a, `/admin/listings/${listing.id}/hide`, { reason: 'Fake' }, `/admin/listings/${listing.id}`);
    await owner.destroy();
    const res = await a.get('/admin/audit');
    // The target is named in the page's language and linked; its whole history one click away.
    expect(res.text).to.contain(`<a href="/admin/listings/${listing.id}">annons #${listing.id}</a>`);
    expect(res.text).to.contain(`href="/admin/audit?type=listing&amp;id=${listing.id}"`);
    expect(res.text).to.contain('Dolde en annons');
    const [row] = await AuditLog.findAll({ raw: true });
    const stored = JSON.stringify(row);
    for (const personal of ['owner_olli', 'olli@example.fi', '358401234567']) expect(stored).to.not.contain(personal);
  });

  it('takes a hidden listing out of sight for others and anonymous visitors, shows the owner why, and brings it back on restore', async () => {
    const owner = await createUser({ username: 'owner_olli' });
    const listing = await createListing(owner, { description: 'Two rooms in Kallio' });
    const mod = await signInModerator(await createModerator());
    await submit(
      mod,
      `/admin/listings/${listing.id}/hide`,
      { reason: 'Photos from another flat' },
      `/admin/listings/${listing.id}`,
    );
    const asOwner = await signIn(owner);
    const own = await asOwner.get(`/listings/${listing.id}`);
    expect(own.status).to.equal(200);
    expect(own.text).to.contain('Photos from another flat');
    const other = await signIn(await createUser());
    expect((await other.get(`/listings/${listing.id}`)).status).to.equal(404);
    expect((await agent().get(`/listings/${listing.id}`)).status).to.equal(404);
    expect((await agent().get('/listings')).text).to.not.contain('Two rooms in Kallio');

    // The owner asks for a review; it shows up in the moderators' filter.
    const review = await submit(asOwner, `/listings/${listing.id}/request-review`, {}, `/listings/${listing.id}`);
    expect(review.status).to.equal(303);
    expect((await mod.get('/admin/listings?status=review')).text).to.contain('owner_olli');

    await submit(mod, `/admin/listings/${listing.id}/restore`, {}, `/admin/listings/${listing.id}`);
    await listing.reload();
    expect(listing.reviewRequestedAt).to.equal(null);
    const back = await agent().get(`/listings/${listing.id}`);
    expect(back.status).to.equal(200);
    expect(back.text).to.contain('Two rooms in Kallio');
    expect(back.text).to.not.contain('Photos from another flat');
  });
});
