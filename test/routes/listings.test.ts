import { expect } from 'chai';
import { Favourite } from '../../models/favourite';
import { Listing } from '../../models/listing';
import { ListingWantedDistrict } from '../../models/listing-wanted-district';
import { Report } from '../../models/report';
import { Session } from '../../models/session';
import { can } from '../../server/policies';
import { context } from '../helpers/context';
import { createListing, createUser, listingForm, tenantWithListing } from '../helpers/factories';
import { agent, csrfFrom, signIn, submit } from '../helpers/http';

const XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>';

describe('GET /listings/new', () => {
  it('sends visitors who are not signed in to the sign-in page', async () => {
    const res = await agent().get('/listings/new');
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/login?next=%2Flistings%2Fnew');
  });

  it('shows a verified tenant the form with every district to choose from', async () => {
    const a = await signIn(await createUser());
    const res = await a.get('/listings/new');
    expect(res.status).to.equal(200);
    expect(res.text).to.contain('<h1>Lägg in din bostad</h1>');
    expect(res.text).to.contain('<option value="kallio">Berghäll</option>');
    expect(res.text).to.contain('name="wanted_districts" value="vallila"');
    for (const name of [
      'postal_code',
      'rooms',
      'size_m2',
      'rent_eur',
      'floor',
      'available_from',
      'description',
      'wanted_rooms_min',
      'wanted_size_min',
      'wanted_rent_max',
      'wanted_description',
    ]) {
      expect(res.text, name).to.match(new RegExp(`<label for="field-${name}"`));
    }
  });

  it('tells an unverified tenant to verify first, with a link to the account page', async () => {
    const a = await signIn(await createUser({ verified: false }));
    const res = await a.get('/listings/new');
    expect(res.status).to.equal(200);
    expect(res.text).to.contain('Bekräfta din e-postadress först');
    expect(res.text).to.contain('href="/account"');
    expect(res.text).to.not.contain('name="rooms"');
  });

  it('sends a tenant who already has a listing to its edit page', async () => {
    const { user, listing } = await tenantWithListing();
    const res = await (await signIn(user)).get('/listings/new');
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal(`/listings/${listing.id}/edit`);
  });

  it('shows district names in the page language', async () => {
    const fi = await signIn(await createUser({ locale: 'fi' }));
    expect((await fi.get('/listings/new')).text).to.contain('<option value="kallio">Kallio</option>');
    const en = await signIn(await createUser({ locale: 'en' }));
    expect((await en.get('/listings/new')).text).to.contain('<option value="kallio">Kallio (Berghäll)</option>');
  });
});

describe('POST /listings', () => {
  it('publishes the listing with its wanted districts and shows it', async () => {
    const user = await createUser();
    const a = await signIn(user);
    const res = await submit(a, '/listings', listingForm(), '/listings/new');
    expect(res.status).to.equal(303);
    const listing = await Listing.findOne({ where: { userId: user.id } });
    expect(listing).to.not.equal(null);
    expect(res.headers.location).to.equal(`/listings/${listing!.id}`);
    expect(listing!.status).to.equal('active');
    expect(listing!.rooms).to.equal(2);
    expect(listing!.hasLift).to.equal(true);
    expect(listing!.hasSauna).to.equal(false);
    expect(listing!.wantedRoomsMin).to.equal(3);
    expect(listing!.availableFrom).to.equal('2027-03-01');
    const wanted = await ListingWantedDistrict.findAll({ where: { listingId: listing!.id }, order: [['district', 'ASC']] });
    expect(wanted.map((w) => w.district)).to.deep.equal(['toolo', 'vallila']);
    const page = await a.get(res.headers.location);
    expect(page.text).to.contain('Annonsen är publicerad.');
    expect(page.text).to.contain('2 rum, 48 m² i Berghäll');
  });

  it('accepts a listing whose wishes are all optional except the districts', async () => {
    const user = await createUser();
    const a = await signIn(user);
    const res = await submit(
      a,
      '/listings',
      listingForm({
        wanted_rooms_min: '',
        wanted_size_min: '',
        wanted_rent_max: '',
        wanted_description: '',
        floor: '',
        building_type: '',
        available_from: '',
        description: '',
        wanted_districts: 'vallila',
      }),
      '/listings/new',
    );
    expect(res.status).to.equal(303);
    const listing = await Listing.findOne({ where: { userId: user.id } });
    expect(listing!.wantedRoomsMin).to.equal(null);
    expect(listing!.floor).to.equal(null);
    expect(listing!.buildingType).to.equal(null);
  });

  it('refuses an unverified tenant with 403 and stores nothing', async () => {
    const a = await signIn(await createUser({ verified: false }));
    const res = await submit(a, '/listings', listingForm(), '/account');
    expect(res.status).to.equal(403);
    expect(res.text).to.contain('Bekräfta din e-postadress först');
    expect(await Listing.count()).to.equal(0);
  });

  it('keeps one listing per tenant: a second one goes to the edit page of the first', async () => {
    const { user, listing } = await tenantWithListing();
    const res = await submit(await signIn(user), '/listings', listingForm(), '/account');
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal(`/listings/${listing.id}/edit`);
    expect(await Listing.count()).to.equal(1);
  });

  it('answers 403 without a CSRF token', async () => {
    const a = await signIn(await createUser());
    const res = await a.post('/listings').type('form').send(listingForm());
    expect(res.status).to.equal(403);
    expect(await Listing.count()).to.equal(0);
  });

  const invalid: [string, Record<string, string | string[]>, string][] = [
    ['rooms is 0', { rooms: '0' }, 'rooms'],
    ['rooms is 9', { rooms: '9' }, 'rooms'],
    ['rooms is not a number', { rooms: 'two' }, 'rooms'],
    ['rooms is missing', { rooms: '' }, 'rooms'],
    ['the size is 9 m²', { size_m2: '9' }, 'size_m2'],
    ['the size is 301 m²', { size_m2: '301' }, 'size_m2'],
    ['the rent is 0', { rent_eur: '0' }, 'rent_eur'],
    ['the rent is 10,001', { rent_eur: '10001' }, 'rent_eur'],
    ['the rent is words', { rent_eur: 'a lot' }, 'rent_eur'],
    ['the rooms have a decimal', { rooms: '2,5' }, 'rooms'],
    ['the postal code has four digits', { postal_code: '0053' }, 'postal_code'],
    ['the postal code has letters', { postal_code: '00A30' }, 'postal_code'],
    ['the district is unknown', { district: 'atlantis' }, 'district'],
    ['the district is missing', { district: '' }, 'district'],
    ['the description is 2,001 characters', { description: 'x'.repeat(2001) }, 'description'],
    ['the wishes text is 2,001 characters', { wanted_description: 'x'.repeat(2001) }, 'wanted_description'],
    ['no wanted district is ticked', { wanted_districts: [] }, 'wanted_districts'],
    ['a wanted district is unknown', { wanted_districts: ['vallila', 'narnia'] }, 'wanted_districts'],
    ['the wanted minimum rooms is 9', { wanted_rooms_min: '9' }, 'wanted_rooms_min'],
    ['the wanted minimum size is 5', { wanted_size_min: '5' }, 'wanted_size_min'],
    ['the wanted maximum rent is 20,000', { wanted_rent_max: '20000' }, 'wanted_rent_max'],
    ['the building type is unknown', { building_type: 'castle' }, 'building_type'],
    ['the date is not a date', { available_from: '2027-02-30' }, 'available_from'],
    ['the floor is 100', { floor: '100' }, 'floor'],
  ];
  for (const [when, fields, field] of invalid) {
    it(`re-renders the form with 422 and the message next to the field when ${when}`, async () => {
      const a = await signIn(await createUser());
      const res = await submit(a, '/listings', listingForm(fields), '/listings/new');
      expect(res.status).to.equal(422);
      expect(res.text).to.contain(`id="field-${field}-error"`);
      expect(res.text).to.contain(`href="#field-${field}"`);
      expect(await Listing.count()).to.equal(0);
    });
  }

  it('reads numbers typed the way the site prints them: spaces, no-break spaces, "€", "m²" and a decimal comma', async () => {
    const user = await createUser({ locale: 'fi' });
    const res = await submit(
      await signIn(user),
      '/listings',
      listingForm({
        rent_eur: '1 200 €',
        size_m2: '48,4 m²',
        floor: '−1',
        wanted_rent_max: '1\u00a0350,50',
        wanted_size_min: '60m2',
        available_from: '1.3.2027',
      }),
      '/listings/new',
    );
    expect(res.status, res.text.slice(0, 3000)).to.equal(303);
    const listing = (await Listing.findOne({ where: { userId: user.id } }))!;
    expect([listing.rentEur, listing.sizeM2, listing.floor, listing.wantedRentMax, listing.wantedSizeMin]).to.deep.equal([
      1200, 48, -1, 1350, 60,
    ]);
    expect(listing.availableFrom).to.equal('2027-03-01');
  });

  it('names every missing field in Finnish in one round instead of "Täytä kenttä."', async () => {
    const a = await signIn(await createUser({ locale: 'fi' }));
    const res = await submit(
      a,
      '/listings',
      listingForm({ district: '', rooms: '', size_m2: '', rent_eur: '', wanted_districts: [] }),
      '/listings/new',
    );
    expect(res.status).to.equal(422);
    for (const text of [
      'Valitse kaupunginosa, jossa asut nyt.',
      'Anna huoneiden määrä.',
      'Anna asunnon koko.',
      'Anna vuokra.',
      'Valitse luettelosta vähintään yksi kaupunginosa.',
    ]) {
      expect(res.text, text).to.contain(text);
    }
    expect(res.text).to.not.contain('Täytä kenttä.');
  });

  it('keeps a number that still cannot be read, with the error next to it', async () => {
    const a = await signIn(await createUser({ locale: 'fi' }));
    const res = await submit(a, '/listings', listingForm({ rent_eur: '12OO €' }), '/listings/new');
    expect(res.status).to.equal(422);
    expect(res.text).to.match(/id="field-rent_eur-error"[^]*Anna vuokra numeroina/);
    expect(res.text).to.contain('value="12OO €"');
  });

  it('checks the postal code against the district and names both (Finnish and Swedish)', async () => {
    const fi = await submit(
      await signIn(await createUser({ locale: 'fi' })),
      '/listings',
      listingForm({ district: 'kontula', postal_code: '00950' }),
      '/listings/new',
    );
    expect(fi.status).to.equal(422);
    expect(fi.text).to.contain('Postinumero 00950 ei ole kaupunginosan Kontula postinumero (Kontula: 00940).');
    const sv = await submit(
      await signIn(await createUser({ locale: 'sv' })),
      '/listings',
      listingForm({ district: 'kapyla', postal_code: '33100' }),
      '/listings/new',
    );
    expect(sv.status).to.equal(422);
    expect(sv.text).to.contain('Postnumret 33100 hör inte till Kottby (Kottby: 00600, 00610).');
    expect(await Listing.count()).to.equal(0);
  });

  it('accepts a description of exactly 2,000 characters, counting a CRLF line break once', async () => {
    const user = await createUser();
    const text = 'a'.repeat(999) + '\r\n' + 'b'.repeat(1000);
    const res = await submit(await signIn(user), '/listings', listingForm({ description: text }), '/listings/new');
    expect(res.status).to.equal(303);
    const listing = await Listing.findOne({ where: { userId: user.id } });
    expect(listing!.description).to.equal('a'.repeat(999) + '\n' + 'b'.repeat(1000));
  });

  it('keeps every input, including the ticked districts and features, when re-rendering', async () => {
    const a = await signIn(await createUser());
    const res = await submit(a, '/listings', listingForm({ rooms: '12', has_sauna: 'on', wanted_lift: 'on' }), '/listings/new');
    expect(res.status).to.equal(422);
    expect(res.text).to.contain('Ange antalet rum som ett heltal mellan 1 och 8.');
    expect(res.text).to.match(/id="field-rooms"[^>]*aria-invalid="true"/);
    expect(res.text).to.match(/name="rooms" type="text" value="12"/);
    expect(res.text).to.contain('<option value="kallio" selected>');
    expect(res.text).to.contain('value="00530"');
    expect(res.text).to.contain('name="wanted_districts" value="vallila" checked');
    expect(res.text).to.contain('name="wanted_districts" value="toolo" checked');
    expect(res.text).to.not.contain('name="wanted_districts" value="kallio" checked');
    expect(res.text).to.contain('name="has_sauna" value="on" checked');
    expect(res.text).to.contain('name="wanted_lift" value="on" checked');
    expect(res.text).to.not.contain('name="has_balcony" value="on" checked');
    expect(res.text).to.contain('A bigger place for our family.');
  });

  it('answers 422, never 500, to arrays, missing fields and huge values', async () => {
    const a = await signIn(await createUser());
    const arrays = await submit(
      a,
      '/listings',
      { ...listingForm(), rooms: ['2', '3'], district: ['kallio', 'vallila'] },
      '/listings/new',
    );
    expect(arrays.status).to.equal(422);
    const empty = await submit(a, '/listings', {}, '/listings/new');
    expect(empty.status).to.equal(422);
    expect(empty.text).to.contain('id="field-wanted_districts-error"');
    const huge = await submit(
      a,
      '/listings',
      listingForm({ rooms: '9'.repeat(5000), description: 'y'.repeat(50_000) }),
      '/listings/new',
    );
    expect(huge.status).to.equal(422);
  });

  it('escapes script in every free-text field when showing the form again', async () => {
    const a = await signIn(await createUser());
    const res = await submit(
      a,
      '/listings',
      listingForm({
        rooms: XSS,
        postal_code: XSS,
        description: XSS,
        wanted_description: XSS,
        size_m2: XSS,
        floor: XSS,
      }),
      '/listings/new',
    );
    expect(res.status).to.equal(422);
    expect(res.text).to.not.contain('<script>alert');
    expect(res.text).to.not.contain('<img src=x');
    expect(res.text).to.contain('&lt;script&gt;');
  });
});

describe('GET /listings/:id (who sees what)', () => {
  async function ownerWithPhone(showPhone: boolean) {
    return tenantWithListing(
      { username: 'kallio_kaisa', email: 'kaisa@example.fi', phone: '+358401234567', showPhone },
      { description: 'Sunny flat\nwith a view' },
    );
  }

  it('shows anonymous visitors the flat and the wishes but not the username, phone or e-mail', async () => {
    const { listing } = await ownerWithPhone(true);
    const res = await agent().get(`/listings/${listing.id}`);
    expect(res.status).to.equal(200);
    expect(res.text).to.contain('2 rum, 48 m² i Berghäll');
    expect(res.text).to.contain('Vallgård');
    expect(res.text).to.not.contain('kallio_kaisa');
    expect(res.text).to.not.contain('+358401234567');
    expect(res.text).to.not.contain('kaisa@example.fi');
    expect(res.text).to.contain(`href="/login?next=%2Flistings%2F${listing.id}"`);
    expect(res.text).to.not.contain(`action="/listings/${listing.id}/messages"`);
  });

  it('shows signed-in tenants the username, and the phone only when the owner chose to show it', async () => {
    const shown = await ownerWithPhone(true);
    const viewer = await signIn(await createUser());
    const res = await viewer.get(`/listings/${shown.listing.id}`);
    expect(res.text).to.contain('kallio_kaisa');
    expect(res.text).to.contain('+358401234567');
    expect(res.text).to.not.contain('kaisa@example.fi');
    expect(res.text).to.contain(`action="/listings/${shown.listing.id}/messages"`);

    const hidden = await tenantWithListing({ username: 'quiet_kalle', phone: '+358409999999', showPhone: false });
    const res2 = await viewer.get(`/listings/${hidden.listing.id}`);
    expect(res2.text).to.contain('quiet_kalle');
    expect(res2.text).to.not.contain('+358409999999');
  });

  it('keeps line breaks in descriptions with CSS, not markup', async () => {
    const { listing } = await ownerWithPhone(false);
    const res = await agent().get(`/listings/${listing.id}`);
    expect(res.text).to.contain('<p class="user-text">Sunny flat\nwith a view</p>');
  });

  it('escapes script in the description and the wishes text', async () => {
    const { listing } = await tenantWithListing({}, { description: XSS, wantedDescription: XSS });
    const res = await agent().get(`/listings/${listing.id}`);
    expect(res.text).to.not.contain('<script>alert');
    expect(res.text).to.not.contain('<img src=x');
    expect(res.text.match(/&lt;script&gt;/g)!.length).to.be.at.least(2);
  });

  it('marks the page noindex', async () => {
    const { listing } = await tenantWithListing();
    const res = await agent().get(`/listings/${listing.id}`);
    expect(res.headers['x-robots-tag']).to.contain('noindex');
    expect(res.text).to.contain('<meta name="robots" content="noindex');
  });

  for (const status of ['paused', 'hidden', 'removed'] as const) {
    it(`answers 404 for a ${status} listing to anonymous visitors and other tenants, but shows it to its owner`, async () => {
      const { user, listing } = await tenantWithListing(
        {},
        { status, hiddenReason: status === 'hidden' ? 'Asks money for the swap' : null },
      );
      expect((await agent().get(`/listings/${listing.id}`)).status).to.equal(404);
      const other = await signIn(await createUser());
      expect((await other.get(`/listings/${listing.id}`)).status).to.equal(404);
      const own = await (await signIn(user)).get(`/listings/${listing.id}`);
      expect(own.status).to.equal(200);
      expect(own.text).to.contain(
        { paused: 'Pausad', hidden: 'Dold av moderatorerna', removed: 'Borttagen av moderatorerna' }[status],
      );
      expect(own.text).to.not.contain(`action="/listings/${listing.id}/messages"`);
    });
  }

  it('lets a moderator see a listing in any state, once their session has passed the second factor', async () => {
    const { listing } = await tenantWithListing({}, { status: 'hidden', hiddenReason: 'Spam' });
    const mod = await createUser({ role: 'admin' });
    expect(can(mod, 'listing.view', listing)).to.equal(false);
    mod.secondFactorPassed = true;
    expect(can(mod, 'listing.view', listing)).to.equal(true);
    expect(can(await createUser(), 'listing.view', listing)).to.equal(false);
  });

  it('shows the owner of a hidden listing the reason and lets them ask for a review once hidden', async () => {
    const { user, listing } = await tenantWithListing({}, { status: 'hidden', hiddenReason: 'Asks <b>money</b> for the swap' });
    const a = await signIn(user);
    const page = await a.get(`/listings/${listing.id}`);
    expect(page.text).to.contain('Asks &lt;b&gt;money&lt;/b&gt; for the swap');
    expect(page.text).to.contain(`action="/listings/${listing.id}/request-review"`);
    const res = await submit(a, `/listings/${listing.id}/request-review`, {}, `/listings/${listing.id}`);
    expect(res.status).to.equal(303);
    await listing.reload();
    expect(listing.reviewRequestedAt).to.be.instanceOf(Date);
    expect(listing.status).to.equal('hidden');
    expect((await a.get(`/listings/${listing.id}`)).text).to.contain('Du bad om en ny granskning');
  });

  it('never shows the moderator reason to anyone but the owner', async () => {
    const { listing } = await tenantWithListing({}, { status: 'active', hiddenReason: 'old secret reason' });
    const res = await (await signIn(await createUser())).get(`/listings/${listing.id}`);
    expect(res.text).to.not.contain('old secret reason');
  });

  it('answers 404 to ids that are not numbers or do not exist', async () => {
    for (const path of ['/listings/999999', '/listings/abc', '/listings/1e3', '/listings/-1', '/listings/99999999999999']) {
      expect((await agent().get(path)).status, path).to.equal(404);
    }
  });
});

describe('owner-only actions', () => {
  it('lets the owner edit the listing, replacing the wanted districts', async () => {
    const { user, listing } = await tenantWithListing({}, { wantedDistricts: ['vallila'] });
    const a = await signIn(user);
    const form = await a.get(`/listings/${listing.id}/edit`);
    expect(form.status).to.equal(200);
    expect(form.text).to.contain('name="wanted_districts" value="vallila" checked');
    expect(form.text).to.contain('value="780"');
    const res = await submit(
      a,
      `/listings/${listing.id}`,
      listingForm({ rent_eur: '820', wanted_districts: ['kamppi', 'eira'] }),
      `/listings/${listing.id}/edit`,
    );
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal(`/listings/${listing.id}`);
    await listing.reload();
    expect(listing.rentEur).to.equal(820);
    const wanted = await ListingWantedDistrict.findAll({ where: { listingId: listing.id }, order: [['district', 'ASC']] });
    expect(wanted.map((w) => w.district)).to.deep.equal(['eira', 'kamppi']);
  });

  it('re-renders the edit form with 422 on bad input and changes nothing', async () => {
    const { user, listing } = await tenantWithListing();
    const a = await signIn(user);
    const res = await submit(a, `/listings/${listing.id}`, listingForm({ size_m2: '5000' }), `/listings/${listing.id}/edit`);
    expect(res.status).to.equal(422);
    expect(res.text).to.contain('id="field-size_m2-error"');
    expect(res.text).to.contain(`action="/listings/${listing.id}"`);
    await listing.reload();
    expect(listing.sizeM2).to.equal(48);
  });

  it('keeps a hidden listing hidden when its owner edits it', async () => {
    const { user, listing } = await tenantWithListing({}, { status: 'hidden', hiddenReason: 'Spam' });
    const a = await signIn(user);
    expect((await a.get(`/listings/${listing.id}/edit`)).text).to.contain('förblir dold');
    await submit(a, `/listings/${listing.id}`, listingForm(), `/listings/${listing.id}/edit`);
    await listing.reload();
    expect(listing.status).to.equal('hidden');
    expect(listing.hiddenReason).to.equal('Spam');
  });

  it('pauses and resumes, and a paused listing drops out of search', async () => {
    const { user, listing } = await tenantWithListing();
    const a = await signIn(user);
    expect((await submit(a, `/listings/${listing.id}/pause`, {}, `/listings/${listing.id}`)).status).to.equal(303);
    await listing.reload();
    expect(listing.status).to.equal('paused');
    expect((await agent().get('/listings')).text).to.contain('0 bostäder hittades');
    expect((await submit(a, `/listings/${listing.id}/resume`, {}, `/listings/${listing.id}`)).status).to.equal(303);
    await listing.reload();
    expect(listing.status).to.equal('active');
    expect((await agent().get('/listings')).text).to.contain('1 bostad hittades');
  });

  it('does not let the owner resume a listing the moderators hid', async () => {
    const { user, listing } = await tenantWithListing({}, { status: 'hidden', hiddenReason: 'Spam' });
    const a = await signIn(user);
    const res = await submit(a, `/listings/${listing.id}/resume`, {}, `/listings/${listing.id}`);
    expect(res.status).to.equal(303);
    await listing.reload();
    expect(listing.status).to.equal('hidden');
    expect((await a.get(`/listings/${listing.id}`)).text).to.contain('Det går inte att göra med annonsen i det här läget.');
  });

  it('deletes the row, its wanted districts and the favourites pointing to it', async () => {
    const { user, listing } = await tenantWithListing();
    const fan = await createUser();
    await Favourite.create({ userId: fan.id, listingId: listing.id });
    await Report.create({
      kind: 'listing',
      reporterId: fan.id,
      listingId: listing.id,
      conversationId: null,
      messageId: null,
      reason: 'fake',
      details: '',
      handledById: null,
      handledAt: null,
      resolutionNote: null,
    });
    const a = await signIn(user);
    const res = await submit(a, `/listings/${listing.id}/delete`, {}, `/listings/${listing.id}`);
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/account');
    expect(await Listing.count()).to.equal(0);
    expect(await ListingWantedDistrict.count()).to.equal(0);
    expect(await Favourite.count()).to.equal(0);
    expect((await Report.findOne())!.listingId).to.equal(null);
    expect((await a.get('/listings/new')).status).to.equal(200);
  });

  const actions = ['edit', 'update', 'pause', 'resume', 'delete', 'request-review'] as const;
  async function attempt(a: Awaited<ReturnType<typeof signIn>>, id: number, action: (typeof actions)[number]) {
    if (action === 'edit') return a.get(`/listings/${id}/edit`);
    const path = action === 'update' ? `/listings/${id}` : `/listings/${id}/${action}`;
    return submit(a, path, action === 'update' ? listingForm() : {}, '/listings');
  }

  for (const action of actions) {
    it(`answers 403 to another tenant who tries to ${action} an active listing, 404 when it is not active`, async () => {
      const { listing } = await tenantWithListing();
      const { listing: paused } = await tenantWithListing({}, { status: 'paused' });
      const other = await signIn(await createUser());
      expect((await attempt(other, listing.id, action)).status).to.equal(action === 'request-review' ? 403 : 403);
      expect((await attempt(other, paused.id, action)).status).to.equal(404);
      await listing.reload();
      await paused.reload();
      expect(listing.status).to.equal('active');
      expect(paused.status).to.equal('paused');
      expect(await Listing.count()).to.equal(2);
    });
  }

  it('answers an anonymous visitor the same for a paused listing and a missing one (sign in first)', async () => {
    const { listing } = await tenantWithListing({}, { status: 'paused' });
    for (const path of [`/listings/${listing.id}/edit`, '/listings/999999/edit']) {
      const res = await agent().get(path);
      expect(res.status, path).to.equal(303);
      expect(res.headers.location, path).to.equal(`/login?next=${encodeURIComponent(path)}`);
    }
  });

  it('sends anonymous visitors to sign in instead of acting', async () => {
    const { listing } = await tenantWithListing();
    expect((await agent().get(`/listings/${listing.id}/edit`)).headers.location).to.match(/^\/login/);
    const a = agent();
    const res = await submit(a, `/listings/${listing.id}/delete`, {}, '/login');
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.match(/^\/login/);
    expect(await Listing.count()).to.equal(1);
  });

  it('offers a way back to the search results (Finnish)', async () => {
    const listing = await createListing();
    const res = await agent().get(`/listings/${listing.id}`).set('Accept-Language', 'fi');
    expect(res.text).to.contain('<a class="back-to-results" href="/listings">← Takaisin hakutuloksiin</a>');
  });

  it('shows the owner buttons only to the owner', async () => {
    const { user, listing } = await tenantWithListing();
    const own = await (await signIn(user)).get(`/listings/${listing.id}`);
    expect(own.text).to.contain(`action="/listings/${listing.id}/pause"`);
    expect(own.text).to.contain(`href="/listings/${listing.id}/edit"`);
    const other = await (await signIn(await createUser())).get(`/listings/${listing.id}`);
    expect(other.text).to.not.contain(`action="/listings/${listing.id}/pause"`);
    expect(other.text).to.not.contain(`/listings/${listing.id}/edit`);
    expect(other.text).to.not.contain(`/listings/${listing.id}/delete`);
  });

  it('asks for confirmation on a page of its own before deleting (no JavaScript needed)', async () => {
    const { user, listing } = await tenantWithListing({ locale: 'fi' });
    const a = await signIn(user);
    const own = await a.get(`/listings/${listing.id}`);
    expect(own.text).to.contain(`href="/listings/${listing.id}/delete"`);
    expect(own.text).to.not.contain(`action="/listings/${listing.id}/delete"`);
    const confirm = await a.get(`/listings/${listing.id}/delete`);
    expect(confirm.status).to.equal(200);
    expect(confirm.text).to.contain('<h1>Poistetaanko ilmoitus?</h1>');
    expect(confirm.text).to.contain(`action="/listings/${listing.id}/delete"`);
    expect((await Listing.findByPk(listing.id))!.status).to.equal('active');
    expect((await (await signIn(await createUser())).get(`/listings/${listing.id}/delete`)).status).to.equal(403);
  });
});

describe('favourites', () => {
  it('saves and unsaves a listing; /favourites lists only the saved ones still active', async () => {
    const { listing: a1 } = await tenantWithListing({}, { district: 'eira' });
    const { listing: a2 } = await tenantWithListing({}, { district: 'kamppi' });
    const viewer = await createUser();
    const a = await signIn(viewer);
    expect((await submit(a, `/listings/${a1.id}/favourite`, {}, `/listings/${a1.id}`)).status).to.equal(303);
    expect((await submit(a, `/listings/${a2.id}/favourite`, {}, `/listings/${a2.id}`)).status).to.equal(303);
    expect((await submit(a, `/listings/${a2.id}/favourite`, {}, `/listings/${a2.id}`)).status).to.equal(303);
    expect(await Favourite.count()).to.equal(2);
    let page = await a.get('/favourites');
    expect(page.text).to.contain('2 sparade bostäder');
    expect(page.text).to.contain('i Eira');
    expect(page.text).to.contain('i Kampen');
    await a2.update({ status: 'paused' });
    page = await a.get('/favourites');
    expect(page.text).to.contain('1 sparad bostad');
    expect(page.text).to.not.contain('i Kampen');
    const res = await submit(a, `/listings/${a1.id}/unfavourite`, { return: '/favourites' }, '/favourites');
    expect(res.headers.location).to.equal('/favourites');
    expect((await a.get('/favourites')).text).to.contain('Du har inga sparade bostäder');
  });

  it('shows "remove from favourites" on a saved listing', async () => {
    const { listing } = await tenantWithListing();
    const a = await signIn(await createUser());
    await submit(a, `/listings/${listing.id}/favourite`, {}, `/listings/${listing.id}`);
    const page = await a.get(`/listings/${listing.id}`);
    expect(page.text).to.contain(`action="/listings/${listing.id}/unfavourite"`);
    expect(page.text).to.not.contain(`action="/listings/${listing.id}/favourite"`);
  });

  it('does not let a tenant save a listing that is not active (404) or their own (403)', async () => {
    const { user, listing } = await tenantWithListing();
    const { listing: paused } = await tenantWithListing({}, { status: 'paused' });
    const own = await signIn(user);
    expect((await submit(own, `/listings/${listing.id}/favourite`, {}, '/listings')).status).to.equal(403);
    expect((await submit(own, `/listings/${paused.id}/favourite`, {}, '/listings')).status).to.equal(404);
    expect(await Favourite.count()).to.equal(0);
  });

  it('never redirects off-site after saving', async () => {
    const { listing } = await tenantWithListing();
    const a = await signIn(await createUser());
    const res = await submit(a, `/listings/${listing.id}/favourite`, { return: '//evil.example/x' }, '/listings');
    expect(res.headers.location).to.equal(`/listings/${listing.id}`);
  });

  it('asks anonymous visitors to sign in for /favourites', async () => {
    expect((await agent().get('/favourites')).headers.location).to.equal('/login?next=%2Ffavourites');
  });
});

describe('POST /listings/:id/report', () => {
  it("shows a failed report's errors at the top of the page, linked to the field, with the text kept (Finnish)", async () => {
    const listing = await createListing(await createUser());
    const a = await signIn(await createUser({ locale: 'fi' }));
    const res = await submit(
      a,
      `/listings/${listing.id}/report`,
      { reason: '', details: 'Pyytää rahaa' },
      `/listings/${listing.id}`,
    );
    expect(res.status).to.equal(422);
    const summary = res.text.indexOf('class="error-summary"');
    expect(summary).to.be.greaterThan(-1);
    expect(summary).to.be.lessThan(res.text.indexOf('id="report-title"'));
    expect(summary).to.be.lessThan(res.text.indexOf('class="facts"') === -1 ? Infinity : res.text.indexOf('class="facts"'));
    expect(res.text).to.contain('href="#field-reason"');
    expect(res.text).to.contain('Pyytää rahaa</textarea>');
  });

  it('stores one report with the reason and details, and a second one says "already reported"', async () => {
    const { listing } = await tenantWithListing();
    const reporter = await createUser();
    const a = await signIn(reporter);
    const page = await a.get(`/listings/${listing.id}`);
    expect(page.text).to.contain('<option value="money">');
    const res = await submit(
      a,
      `/listings/${listing.id}/report`,
      { reason: 'money', details: 'Asks 5000 € under the table' },
      `/listings/${listing.id}`,
    );
    expect(res.status).to.equal(303);
    const reports = await Report.findAll();
    expect(reports).to.have.length(1);
    expect(reports[0].kind).to.equal('listing');
    expect(reports[0].reason).to.equal('money');
    expect(reports[0].reporterId).to.equal(reporter.id);
    expect(reports[0].details).to.equal('Asks 5000 € under the table');
    expect(reports[0].status).to.equal('open');
    expect((await a.get(res.headers.location)).text).to.contain('Tack! Moderatorerna har fått din anmälan.');

    const again = await submit(a, `/listings/${listing.id}/report`, { reason: 'fake', details: '' }, `/listings/${listing.id}`);
    expect(again.status).to.equal(303);
    const after = await a.get(again.headers.location);
    expect(after.status).to.equal(200);
    expect(after.text).to.contain('Du har redan anmält den här annonsen.');
    expect(after.text).to.not.contain(`action="/listings/${listing.id}/report"`);
    expect(await Report.count()).to.equal(1);
  });

  it('re-renders the listing with 422 when the reason is not on the list, keeping the details', async () => {
    const { listing } = await tenantWithListing();
    const a = await signIn(await createUser());
    const res = await submit(a, `/listings/${listing.id}/report`, { reason: 'boring', details: XSS }, `/listings/${listing.id}`);
    expect(res.status).to.equal(422);
    expect(res.text).to.contain('id="field-reason-error"');
    expect(res.text).to.contain('&lt;script&gt;');
    expect(res.text).to.not.contain('<script>alert');
    expect(await Report.count()).to.equal(0);
  });

  it('does not let the owner report their own listing or anyone report a paused one', async () => {
    const { user, listing } = await tenantWithListing();
    const { listing: paused } = await tenantWithListing({}, { status: 'paused' });
    const own = await signIn(user);
    expect((await submit(own, `/listings/${listing.id}/report`, { reason: 'fake' }, '/listings')).status).to.equal(403);
    expect((await submit(own, `/listings/${paused.id}/report`, { reason: 'fake' }, '/listings')).status).to.equal(404);
    expect(await Report.count()).to.equal(0);
  });

  it('logs the report by ids only', async () => {
    const { listing } = await tenantWithListing();
    const reporter = await createUser({ username: 'snitch_sara' });
    await submit(
      await signIn(reporter),
      `/listings/${listing.id}/report`,
      { reason: 'other', details: 'secret words' },
      `/listings/${listing.id}`,
    );
    const logs = context().logs.text();
    expect(logs).to.contain('listing reported');
    expect(logs).to.not.contain('snitch_sara');
    expect(logs).to.not.contain('secret words');
  });
});

describe('/account listing section', () => {
  it('invites a tenant without a listing to create one', async () => {
    const res = await (await signIn(await createUser())).get('/account');
    expect(res.text).to.contain('Min annons');
    expect(res.text).to.contain('href="/listings/new"');
  });

  it('shows the tenant their listing with its state and actions', async () => {
    const { user, listing } = await tenantWithListing({}, { status: 'paused' });
    const res = await (await signIn(user)).get('/account');
    expect(res.text).to.contain('Läge: Pausad');
    expect(res.text).to.contain(`action="/listings/${listing.id}/resume"`);
    expect(res.text).to.contain(`href="/listings/${listing.id}/edit"`);
  });

  it('lets the owner choose to show the phone on the listing (off by default)', async () => {
    const user = await createUser({ phone: '+358401112222' });
    await createListing(user);
    const viewer = await signIn(await createUser());
    const listing = (await Listing.findOne({ where: { userId: user.id } }))!;
    expect((await viewer.get(`/listings/${listing.id}`)).text).to.not.contain('+358401112222');
    const owner = await signIn(user);
    const res = await submit(
      owner,
      '/account',
      { email: user.email, phone: '+358401112222', show_phone: 'on', locale: 'sv' },
      '/account',
    );
    expect(res.status).to.equal(303);
    expect((await viewer.get(`/listings/${listing.id}`)).text).to.contain('+358401112222');
  });
});

describe('a listing form sent after the idle limit', () => {
  it('comes back filled in after signing in again, nothing published meanwhile (Swedish)', async () => {
    const user = await createUser();
    const a = await signIn(user);
    const token = csrfFrom((await a.get('/listings/new')).text);
    await Session.update({ expires: new Date(Date.now() - 1000) }, { where: { userId: user.id } });
    const res = await a
      .post('/listings')
      .type('form')
      .send({ ...listingForm({ description: 'Ljus tvåa vid parken, lång text' }), _csrf: token });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/login?kept=1&next=%2Flistings%2Fnew');
    expect((await a.get(res.headers.location)).text).to.contain('Du loggades ut efter 30 minuter utan aktivitet.');
    await signIn(user, undefined, a);
    const form = await a.get('/listings/new');
    expect(form.text).to.contain('Ljus tvåa vid parken, lång text</textarea>');
    expect(form.text).to.contain('name="wanted_districts" value="vallila" checked');
    expect(form.text).to.contain('Din text finns kvar i formuläret nedan.');
    expect(await Listing.count()).to.equal(0);
  });
});

describe('districts grouped by major district', () => {
  it('groups the wanted districts with a "whole area" box, and the box stands for every district in it (Finnish)', async () => {
    const user = await createUser({ locale: 'fi' });
    const a = await signIn(user);
    const form = await a.get('/listings/new');
    expect(form.text).to.contain('<summary>Keskinen suurpiiri</summary>');
    expect(form.text).to.contain('name="wanted_districts" value="area:keskinen"');
    expect(form.text).to.contain('Koko alue: Itäinen suurpiiri');
    const res = await submit(a, '/listings', listingForm({ wanted_districts: ['area:itainen', 'kallio'] }), '/listings/new');
    expect(res.status).to.equal(303);
    const listing = (await Listing.findOne({ where: { userId: user.id } }))!;
    const wanted = (await ListingWantedDistrict.findAll({ where: { listingId: listing.id } })).map((w) => w.district).sort();
    expect(wanted).to.deep.equal([
      'itakeskus',
      'kallio',
      'kontula',
      'mellunkyla',
      'myllypuro',
      'puotila',
      'vartiokyla',
      'vuosaari',
    ]);
  });

  it('keeps a ticked area ticked, with its group open, when the form comes back with an error', async () => {
    const a = await signIn(await createUser());
    const res = await submit(a, '/listings', listingForm({ rooms: '', wanted_districts: ['area:pohjoinen'] }), '/listings/new');
    expect(res.status).to.equal(422);
    expect(res.text).to.contain('name="wanted_districts" value="area:pohjoinen" checked');
    expect(res.text).to.contain('name="wanted_districts" value="maunula" checked');
    expect(res.text).to.match(/<details class="district-group" open>\s*<summary>Norra stordistriktet/);
  });
});
