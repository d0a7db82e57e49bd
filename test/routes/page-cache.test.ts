import { expect } from 'chai';
import request from 'supertest';
import { createApp, type BoardApp } from '../../server/app';
import { createRateLimits, type RateLimits } from '../../server/services/rate-limits';
import { context } from '../helpers/context';
import { createListing, createUser, DEFAULT_PASSWORD } from '../helpers/factories';
import { csrfFrom } from '../helpers/http';

// The anonymous search and listing pages kept in memory (PAGE_CACHE_SECONDS, on in
// production). A second app on the same database with the cache on for a minute, so a
// stale page would show.
describe('the page cache for visitors', () => {
  let board: BoardApp;
  let rateLimits: RateLimits;

  beforeEach(async () => {
    const { deps } = context();
    const config = { ...deps.config, pageCacheMs: 60_000, limits: { ...deps.config.limits, searchPerIpPerMinute: 5 } };
    rateLimits = await createRateLimits(deps.db, config, { memory: true });
    board = createApp({ ...deps, config, rateLimits });
  });

  afterEach(async () => {
    board.close();
    await rateLimits.close();
  });

  const visit = (path: string, lang = 'sv') => request(board.app).get(path).set('Accept-Language', lang);

  it('shows a new, changed or hidden listing at once, not a page from before the change', async () => {
    const first = await createListing(undefined, { district: 'kallio' });
    expect((await visit('/listings')).text).to.contain(`href="/listings/${first.id}"`);
    const second = await createListing(undefined, { district: 'vallila' });
    expect((await visit('/listings')).text).to.contain(`href="/listings/${second.id}"`);
    const page = await visit(`/listings/${second.id}`);
    expect(page.status).to.equal(200);
    await second.update({ status: 'hidden', hiddenReason: 'Spam' });
    expect((await visit(`/listings/${second.id}`)).status).to.equal(404);
    expect((await visit('/listings')).text).to.not.contain(`href="/listings/${second.id}"`);
  });

  it("answers a visitor's second look at a page without asking the database", async () => {
    const { db } = context();
    const listing = await createListing();
    await visit('/listings');
    await visit(`/listings/${listing.id}`);
    let queries = 0;
    db.sequelize.addHook('afterQuery', 'countForPageCacheTest', () => {
      queries++;
    });
    try {
      expect((await visit('/listings')).text).to.contain(`href="/listings/${listing.id}"`);
      expect((await visit(`/listings/${listing.id}`)).status).to.equal(200);
    } finally {
      db.sequelize.removeHook('afterQuery', 'countForPageCacheTest');
    }
    expect(queries).to.equal(0);
  });

  it('sends a page from memory compressed as the browser accepts', async () => {
    const listing = await createListing();
    const fresh = await visit('/listings').set('Accept-Encoding', 'gzip');
    for (const encoding of ['br', 'gzip']) {
      const hit = await visit('/listings').set('Accept-Encoding', encoding);
      expect(hit.headers['content-encoding']).to.equal(encoding);
      expect(hit.headers.vary).to.contain('Accept-Encoding');
      expect(hit.text).to.equal(fresh.text); // supertest decompresses it
      expect(hit.text).to.contain(`href="/listings/${listing.id}"`);
    }
  });

  it('keeps one page per language', async () => {
    await createListing();
    expect((await visit('/listings', 'sv')).text).to.match(/<html lang="sv"/);
    expect((await visit('/listings', 'fi')).text).to.match(/<html lang="fi"/);
    expect((await visit('/listings', 'en')).text).to.match(/<html lang="en"/);
    expect((await visit('/listings', 'sv')).text).to.match(/<html lang="sv"/);
  });

  it("never serves a signed-in tenant the visitors' page, nor gives a visitor theirs", async () => {
    const owner = await createUser({ username: 'sirpa_cache' });
    const listing = await createListing(owner);
    await visit('/listings');
    await visit(`/listings/${listing.id}`);
    const tenant = request.agent(board.app);
    const login = await tenant.get('/login');
    await tenant
      .post('/login')
      .type('form')
      .send({
        username: (await createUser({ username: 'kaisa_cache' })).username,
        password: DEFAULT_PASSWORD,
        _csrf: csrfFrom(login.text),
      });
    const signedIn = await tenant.get(`/listings/${listing.id}`);
    expect(signedIn.text).to.contain('sirpa_cache'); // signed-in tenants see who posted it
    expect(signedIn.text).to.contain('(kaisa_cache)');
    expect((await tenant.get('/listings')).text).to.contain('(kaisa_cache)');
    const anonymous = await visit(`/listings/${listing.id}`);
    expect(anonymous.text).to.not.contain('sirpa_cache');
    expect((await visit('/listings')).text).to.not.contain('kaisa_cache');
  });

  it('still counts every page from memory against the search limit', async () => {
    await createListing();
    for (let i = 0; i < 5; i++) expect((await visit('/listings')).status).to.equal(200);
    const refused = await visit('/listings');
    expect(refused.status).to.equal(429);
    expect(refused.text).to.contain('För många sökningar');
  });
});
