import { expect } from 'chai';
import { context } from '../helpers/context';
import { createListing, createUser, manyListings } from '../helpers/factories';
import { agent, signIn } from '../helpers/http';

/** The listing ids on a results page, in the order shown. */
function idsOn(html: string): number[] {
  return [...html.matchAll(/id="listing-(\d+)-title"/g)].map((m) => Number(m[1]));
}

async function search(query = '') {
  const res = await agent().get(`/listings${query}`);
  expect(res.status, query).to.equal(200);
  return res;
}

describe('GET /listings (search)', () => {
  it('shows every active listing with the count, but not who posted them to anonymous visitors', async () => {
    const owner = await createUser({ username: 'berghall_bo' });
    await createListing(owner, { district: 'kallio' });
    await createListing(undefined, { status: 'paused' });
    await createListing(undefined, { status: 'hidden' });
    await createListing(undefined, { status: 'removed' });
    const res = await search();
    expect(res.text).to.contain('1 bostad hittades');
    expect(idsOn(res.text)).to.have.length(1);
    expect(res.text).to.contain('i Berghäll');
    expect(res.text).to.not.contain('berghall_bo');
  });

  it('shows signed-in tenants the username on each listing', async () => {
    await createListing(await createUser({ username: 'berghall_bo' }));
    const res = await (await signIn(await createUser())).get('/listings');
    expect(res.text).to.contain('Inlagd av berghall_bo');
  });

  it('is a GET form with every search filter and is marked noindex', async () => {
    const res = await search();
    expect(res.text).to.contain('<form method="get" action="/listings"');
    for (const name of ['district', 'rooms_min', 'rooms_max', 'size_min', 'rent_max', 'lift', 'balcony', 'sauna', 'sort']) {
      expect(res.text, name).to.contain(`name="${name}"`);
    }
    expect(res.headers['x-robots-tag']).to.contain('noindex');
  });

  it('says so when nothing matches', async () => {
    const res = await search('?district=eira');
    expect(res.text).to.contain('0 bostäder hittades');
    expect(res.text).to.contain('Inga bostäder motsvarar sökningen.');
  });

  it('shows the results before the filters, with an "Edit search" link to them at the top (phones)', async () => {
    await createListing();
    const res = await agent().get('/listings').set('Accept-Language', 'fi');
    expect(res.text).to.contain('<a href="#filters-title">Muokkaa hakua</a>');
    expect(res.text.indexOf('id="results-title"')).to.be.lessThan(res.text.indexOf('id="filters-title"'));
  });

  it('searches a whole major district when its box is ticked', async () => {
    const kontula = await createListing(undefined, { district: 'kontula', postalCode: '00940' });
    await createListing(undefined, { district: 'kallio' });
    const res = await agent().get('/listings?district=area:itainen');
    expect(idsOn(res.text)).to.deep.equal([kontula.id]);
  });

  it('names the applied room filters with the right plural (English)', async () => {
    const res = await agent().get('/listings?rooms_min=1&rooms_max=3').set('Accept-Language', 'en');
    expect(res.text).to.match(/Filters applied:\s*at least 1 room · at most 3 rooms/);
  });

  describe('typed numbers', () => {
    it('reads "1 200", "1200 €", "1200,50" and a no-break space as a rent of 1,200 and says which filters were applied', async () => {
      const cheap = await createListing(undefined, { rentEur: 1150 });
      const dear = await createListing(undefined, { rentEur: 1250 });
      for (const typed of ['1 200', '1200 €', '1200,50', '1\u00a0200\u00a0€']) {
        const res = await agent()
          .get(`/listings?rent_max=${encodeURIComponent(typed)}`)
          .set('Accept-Language', 'fi');
        expect(res.status, typed).to.equal(200);
        expect(idsOn(res.text), typed).to.deep.equal([cheap.id]);
        expect(res.text, typed).to.not.contain(`listing-${dear.id}-title`);
        expect(res.text, typed).to.match(/Käytetyt hakuehdot:\s*vuokra enintään 1\s200\s€/);
        expect(res.text, typed).to.contain(`value="${typed.replace(/€/g, '€')}"`);
      }
    });

    it('keeps a value it cannot read, shows the error next to the field and says it was not applied (Swedish)', async () => {
      await createListing(undefined, { rentEur: 1250 });
      const res = await agent().get('/listings?rent_max=abc&size_min=40');
      expect(res.status).to.equal(422);
      expect(res.text).to.contain('value="abc"');
      expect(res.text).to.match(/id="search-rent_max-error"[^]*Ange högsta hyran i siffror/);
      expect(res.text).to.match(/id="search-rent_max"[^>]*aria-invalid="true"/);
      expect(res.text).to.contain('Ett sökvillkor som inte kunde läsas användes inte.');
      expect(res.text).to.match(/Använda sökvillkor:\s*minst 40\sm²/);
    });
  });

  describe('filters', () => {
    let ids: Record<string, number>;
    beforeEach(async () => {
      const make = async (key: string, opts: Parameters<typeof createListing>[1]) => {
        ids[key] = (await createListing(undefined, opts)).id;
      };
      ids = {};
      await make('kallioSmall', { district: 'kallio', rooms: 1, sizeM2: 30, rentEur: 600 });
      await make('kallioBig', { district: 'kallio', rooms: 3, sizeM2: 75, rentEur: 1100, hasLift: true, hasSauna: true });
      await make('vallila', { district: 'vallila', rooms: 2, sizeM2: 55, rentEur: 850, hasBalcony: true });
      await make('eira', { district: 'eira', rooms: 4, sizeM2: 110, rentEur: 1600, hasLift: true, hasBalcony: true });
    });
    const sorted = (keys: string[]) => keys.map((k) => ids[k]).sort((a, b) => a - b);
    const found = async (query: string) => idsOn((await search(query)).text).sort((a, b) => a - b);

    it('filters by one district', async () => {
      expect(await found('?district=kallio')).to.deep.equal(sorted(['kallioSmall', 'kallioBig']));
    });
    it('filters by several districts', async () => {
      expect(await found('?district=vallila&district=eira')).to.deep.equal(sorted(['vallila', 'eira']));
    });
    it('filters by minimum and maximum rooms, inclusive', async () => {
      expect(await found('?rooms_min=2&rooms_max=3')).to.deep.equal(sorted(['kallioBig', 'vallila']));
    });
    it('filters by minimum size, inclusive', async () => {
      expect(await found('?size_min=75')).to.deep.equal(sorted(['kallioBig', 'eira']));
    });
    it('filters by maximum rent, inclusive', async () => {
      expect(await found('?rent_max=850')).to.deep.equal(sorted(['kallioSmall', 'vallila']));
    });
    it('filters by required features', async () => {
      expect(await found('?lift=1')).to.deep.equal(sorted(['kallioBig', 'eira']));
      expect(await found('?balcony=1')).to.deep.equal(sorted(['vallila', 'eira']));
      expect(await found('?sauna=1')).to.deep.equal(sorted(['kallioBig']));
      expect(await found('?lift=1&balcony=1')).to.deep.equal(sorted(['eira']));
    });
    it('combines filters', async () => {
      expect(await found('?district=kallio&district=eira&rooms_min=2&rent_max=1200&lift=1')).to.deep.equal(sorted(['kallioBig']));
      expect(await found('?district=vallila&size_min=60')).to.deep.equal([]);
    });
    it('keeps the chosen filters in the form', async () => {
      const res = await search('?district=eira&rooms_min=2&rent_max=1200&lift=1&sort=rent');
      expect(res.text).to.contain('id="search-district-eira" name="district" value="eira" checked');
      expect(res.text).to.contain('<option value="2" selected>2</option>');
      expect(res.text).to.match(/name="rent_max" type="text" inputmode="decimal" value="1200"/);
      expect(res.text).to.contain('name="lift" value="1" checked');
      expect(res.text).to.contain('<option value="rent" selected>');
    });
    it('sorts newest first by default, by rent ascending and by size descending', async () => {
      expect(idsOn((await search()).text)).to.deep.equal([ids.eira, ids.vallila, ids.kallioBig, ids.kallioSmall]);
      expect(idsOn((await search('?sort=newest')).text)).to.deep.equal([ids.eira, ids.vallila, ids.kallioBig, ids.kallioSmall]);
      expect(idsOn((await search('?sort=rent')).text)).to.deep.equal([ids.kallioSmall, ids.vallila, ids.kallioBig, ids.eira]);
      expect(idsOn((await search('?sort=size')).text)).to.deep.equal([ids.eira, ids.kallioBig, ids.vallila, ids.kallioSmall]);
    });
  });

  describe('pages of 20', () => {
    it('shows exactly 20 results on one page without page links', async () => {
      await manyListings(20);
      const res = await search();
      expect(res.text).to.contain('20 bostäder hittades');
      expect(idsOn(res.text)).to.have.length(20);
      expect(res.text).to.not.contain('class="pagination"');
    });

    it('puts the 21st result on page 2, newest first, with links that keep the filters', async () => {
      await manyListings(21, { district: 'vallila' });
      const first = await search('?district=vallila&rent_max=900');
      expect(first.text).to.contain('21 bostäder hittades');
      expect(first.text).to.contain('Visar 1–20 av 21');
      const firstIds = idsOn(first.text);
      expect(firstIds).to.have.length(20);
      expect(first.text).to.contain('href="/listings?district=vallila&amp;rent_max=900&amp;page=2"');
      const second = await search('?district=vallila&rent_max=900&page=2');
      const secondIds = idsOn(second.text);
      expect(secondIds).to.have.length(1);
      expect(firstIds).to.not.include(secondIds[0]);
      expect(Math.min(...firstIds)).to.be.greaterThan(secondIds[0]);
      expect(second.text).to.contain('Visar 21–21 av 21');
      expect(second.text).to.contain('href="/listings?district=vallila&amp;rent_max=900"');
      expect(second.text).to.contain('aria-current="page"');
    });

    it('treats page 0, a negative page and a page past the last as the nearest real page', async () => {
      await manyListings(21);
      const zero = await search('?page=0');
      expect(idsOn(zero.text)).to.have.length(20);
      const negative = await search('?page=-5');
      expect(idsOn(negative.text)).to.have.length(20);
      const beyond = await search('?page=99');
      expect(idsOn(beyond.text)).to.have.length(1);
      expect(beyond.text).to.contain('Visar 21–21 av 21');
    });
  });

  it('answers a normal page to junk in the query string', async () => {
    await createListing();
    for (const query of [
      '?rooms_min=abc&page=-5&district[]=x&sort=DROP',
      '?page=1.5&page=2&sort=size&sort=rent&lift=yes',
      "?district=kallio'%20OR%201=1--&rooms_min=%27",
      `?district=${'a'.repeat(1500)}`,
      '?__proto__=1&constructor=2&district=toString',
    ]) {
      const res = await search(query);
      expect(res.text, query).to.contain('1 bostad hittades');
    }
    // Bytes no link of the board holds (a NUL, non-UTF-8) and absurd lengths are refused.
    for (const query of ['?district=x&district=%00', '?district=%FF', `?district=${'a'.repeat(5000)}`]) {
      expect((await agent().get(`/listings${query}`)).status, query).to.equal(400);
    }
    // Typed numbers that cannot be read are shown back with their error, and the rest still searches.
    const junk = await agent().get('/listings?district=x&district=&rooms_max=99999999999&size_min=-1&rent_max=1e9');
    expect(junk.status).to.equal(422);
    expect(junk.text).to.contain('1 bostad hittades');
    expect(junk.text).to.contain('id="search-rent_max-error"');
  });

  it('answers 429 when one address searches too often', async () => {
    const { rateLimits, config } = context();
    const limit = rateLimits.get('search');
    for (const ip of ['::ffff:127.0.0.1', '127.0.0.1', '::1']) await limit.consume(ip, config.limits.searchPerIpPerMinute);
    const res = await agent().get('/listings');
    expect(res.status).to.equal(429);
    expect(res.text).to.contain('För många sökningar');
  });
});
