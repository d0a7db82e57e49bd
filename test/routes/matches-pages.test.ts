import { expect } from 'chai';
import type { Listing } from '../../models/listing';
import { User } from '../../models/user';
import { MATCHES_PAGE_SIZE, WANTS_PAGE_SIZE } from '../../server/services/listings';
import { ringsForListing, RINGS_PAGE_SIZE } from '../../server/services/rings';
import { context } from '../helpers/context';
import { createListing, createUser } from '../helpers/factories';
import { countQueries } from '../helpers/query-count';
import { postForm, signIn, type Agent } from '../helpers/http';

// /matches pages each of its three lists: a tenant with more mutual matches, three-way
// swaps and admirers than fit on a page sees the best first, the total, and page links
// per section that keep the other sections where they were.

interface World {
  me: User;
  mine: Listing;
  a: Agent;
  /** Best first, as the services order them. */
  mutual: number[];
  wants: number[];
  rings: string[];
  stranger: Listing;
}

const MUTUAL = MATCHES_PAGE_SIZE + 5;

/**
 * Me: Kallio, wanting Vallila. MUTUAL partners in Vallila want Kallio (fits differ by rent
 * and size); four Vallila homes want Sörnäinen and three Sörnäinen homes want Kallio, which
 * closes 4 × 3 = 12 rings me → Vallila → Sörnäinen → me. A stranger in Eira wants Töölö
 * and has a match of its own there.
 */
async function world(): Promise<World> {
  const me = await createUser();
  const mine = await createListing(me, { district: 'kallio', wantedDistricts: ['vallila'], wantedRentMax: 1500 });
  for (let i = 0; i < MUTUAL; i++) {
    await createListing(undefined, {
      district: 'vallila',
      postalCode: '00510',
      wantedDistricts: ['kallio'],
      rentEur: 600 + i * 30,
      sizeM2: 40 + (i % 7) * 5,
    });
  }
  for (let i = 0; i < 4; i++) {
    await createListing(undefined, {
      district: 'vallila',
      postalCode: '00510',
      wantedDistricts: ['sornainen'],
      rentEur: 700 + i * 100,
    });
  }
  for (let i = 0; i < 3; i++) {
    await createListing(undefined, {
      district: 'sornainen',
      postalCode: '00500',
      wantedDistricts: ['kallio'],
      sizeM2: 45 + i * 10,
    });
  }
  const stranger = await createListing(undefined, { district: 'eira', postalCode: '00150', wantedDistricts: ['toolo'] });
  await createListing(undefined, { district: 'toolo', postalCode: '00250', wantedDistricts: ['eira'] });

  const { listings } = context().board.services;
  const mutual = (await listings.matches(mine, 1000)).items.map((m) => m.listing.id);
  const wants = (await listings.wantsMine(mine, 1000)).items.map((m) => m.listing.id);
  const rings = (await ringsForListing(mine.id, { limit: 1000 })).map((r) => {
    const [x, y, z] = r.listingIds;
    const ids = x < y && x < z ? [x, y, z] : y < z ? [y, z, x] : [z, x, y];
    return `r-${ids.join('-')}`;
  });
  return { me, mine, a: await signIn(me), mutual, wants, rings, stranger };
}

/** The page's three sections. */
function sections(html: string): { mutual: string; rings: string; wants: string } {
  const r = html.indexOf('id="rings-title"');
  const w = html.indexOf('id="wants-title"');
  return { mutual: html.slice(0, r), rings: html.slice(r, w), wants: html.slice(w) };
}

/** The listings a section shows, in order (a card links its listing more than once). */
function listingIds(section: string, except: number): number[] {
  const ids = [...section.matchAll(/href="\/listings\/(\d+)"/g)].map((m) => Number(m[1]));
  return [...new Set(ids)].filter((id) => id !== except);
}

const ringKeys = (section: string) => [...section.matchAll(/id="s-(r-\d+-\d+-\d+)"/g)].map((m) => m[1]);

/** The page links of a section, as their hrefs (entities decoded). */
const pageLinks = (section: string) =>
  [...section.matchAll(/<a href="(\/matches[^"]*)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&')).filter((h) => h.includes('#'));

describe('/matches, one page per section', () => {
  let w: World;
  beforeEach(async () => {
    w = await world();
    // The world is what the sections should page through (the suite empties the database before each test).
    expect(w.mutual).to.have.length(MUTUAL);
    expect(w.wants).to.have.length(MUTUAL + 3);
    expect(w.rings).to.have.length(12);
  });

  it('shows the best of each list first, with the real totals and page links per section', async () => {
    const res = await w.a.get('/matches');
    expect(res.status).to.equal(200);
    const s = sections(res.text);

    expect(listingIds(s.mutual, w.mine.id)).to.deep.equal(w.mutual.slice(0, MATCHES_PAGE_SIZE));
    expect(s.mutual).to.contain(`${MUTUAL} bostäder passar båda vägarna`);
    expect(s.mutual).to.contain(`visar 1–${MATCHES_PAGE_SIZE}, de bästa först`);
    expect(s.mutual).to.contain('aria-label="Sidor med byten som passar båda"');
    expect(pageLinks(s.mutual)).to.deep.equal(['/matches?mutual=2#mutual-title', '/matches?mutual=2#mutual-title']);

    expect(ringKeys(s.rings)).to.deep.equal(w.rings.slice(0, RINGS_PAGE_SIZE));
    expect(s.rings).to.contain('12 trepartsbyten');
    expect(s.rings).to.contain('Trepartsbyte 1, marginal');
    expect(pageLinks(s.rings)).to.include('/matches?rings=2#rings-title');

    expect(listingIds(s.wants, w.mine.id)).to.deep.equal(w.wants.slice(0, WANTS_PAGE_SIZE));
    expect(s.wants).to.contain(`${MUTUAL + 3} hyresgäster vill ha en bostad som din`);
    expect(pageLinks(s.wants)).to.include('/matches?wants=2#wants-title');
  });

  it('shows the next ones on page 2 of a section, keeping the other sections on their pages', async () => {
    const res = await w.a.get('/matches?mutual=2&rings=2');
    const s = sections(res.text);
    expect(listingIds(s.mutual, w.mine.id)).to.deep.equal(w.mutual.slice(MATCHES_PAGE_SIZE));
    expect(s.mutual).to.contain(`${MUTUAL} bostäder passar båda vägarna`);
    expect(s.mutual).to.contain(`visar ${MATCHES_PAGE_SIZE + 1}–${MUTUAL}, de bästa först`);
    expect(s.mutual).to.match(/<span aria-current="page"><span class="visually-hidden">Sida 2<\/span>/);
    expect(pageLinks(s.mutual)).to.include('/matches?rings=2#mutual-title');

    expect(ringKeys(s.rings)).to.deep.equal(w.rings.slice(RINGS_PAGE_SIZE));
    // Rings are numbered across pages.
    expect(s.rings).to.contain(`Trepartsbyte ${RINGS_PAGE_SIZE + 1}, marginal`);
    expect(s.rings).to.contain(`id="ring-${RINGS_PAGE_SIZE + 1}-title"`);
    expect(pageLinks(s.rings)).to.include('/matches?mutual=2#rings-title');

    // "Who wants my home" stays on its first page, and its link to page 2 keeps the others'.
    expect(listingIds(s.wants, w.mine.id)).to.deep.equal(w.wants.slice(0, WANTS_PAGE_SIZE));
    expect(pageLinks(s.wants)).to.include('/matches?mutual=2&rings=2&wants=2#wants-title');

    // Together the pages show each list exactly once.
    const wants2 = sections((await w.a.get('/matches?wants=2')).text).wants;
    expect([...listingIds(s.wants, w.mine.id), ...listingIds(wants2, w.mine.id)]).to.deep.equal(w.wants);
  });

  it('reads a bad page number as page 1 and a page past the last as the last', async () => {
    for (const q of ['0', '-1', 'x', '1.5', '', '99999999999999999999', '%E2%88%9E']) {
      const res = await w.a.get(`/matches?mutual=${q}&rings=${q}&wants=${q}`);
      expect(res.status, q).to.equal(200);
      const s = sections(res.text);
      expect(listingIds(s.mutual, w.mine.id), q).to.deep.equal(w.mutual.slice(0, MATCHES_PAGE_SIZE));
      expect(ringKeys(s.rings), q).to.deep.equal(w.rings.slice(0, RINGS_PAGE_SIZE));
    }
    const repeated = await w.a.get('/matches?mutual=2&mutual=3');
    expect(repeated.status).to.equal(200);
    for (const q of ['3', '999999']) {
      const res = await w.a.get(`/matches?mutual=${q}&rings=${q}&wants=${q}`);
      expect(res.status, q).to.equal(200);
      const s = sections(res.text);
      expect(listingIds(s.mutual, w.mine.id), q).to.deep.equal(w.mutual.slice(MATCHES_PAGE_SIZE));
      expect(ringKeys(s.rings), q).to.deep.equal(w.rings.slice(RINGS_PAGE_SIZE));
      expect(listingIds(s.wants, w.mine.id), q).to.deep.equal(w.wants.slice(WANTS_PAGE_SIZE));
      expect(s.mutual, q).to.contain(`${MUTUAL} bostäder passar båda vägarna`);
    }
  });

  it("never shows another tenant's matches, rings or marks, and counts only what the tenant has not hidden", async () => {
    // The stranger's own match is not mine, on any page.
    const theirs = await signIn((await User.findByPk(w.stranger.userId))!);
    const theirPage = await theirs.get('/matches');
    expect(theirPage.text).to.contain('1 bostad passar båda vägarna');
    expect(theirPage.text).to.not.contain(`href="/listings/${w.mine.id}"`);
    const shown = new Set<number>();
    for (const q of ['', '?mutual=2&rings=2&wants=2']) {
      const s = sections((await w.a.get(`/matches${q}`)).text);
      for (const id of [
        ...listingIds(s.mutual, w.mine.id),
        ...listingIds(s.rings, w.mine.id),
        ...listingIds(s.wants, w.mine.id),
      ]) {
        shown.add(id);
      }
    }
    expect(shown.has(w.stranger.id)).to.equal(false);
    const mineOnly = new Set([...w.mutual, ...w.wants, ...w.rings.flatMap((k) => k.slice(2).split('-').map(Number))]);
    for (const id of shown) expect(mineOnly.has(id), `listing ${id}`).to.equal(true);

    // A partner's yes is counted on my page, never named; a pair I hide leaves my count
    // and my pages, not the partner's.
    const best = w.mutual[0]!;
    const key = `p:${Math.min(w.mine.id, best)}-${Math.max(w.mine.id, best)}`;
    expect(
      (await postForm(w.a, '/swaps/marks', { suggestion: key, interest: 'no', pages: 'mutual=2' })).headers.location,
    ).to.equal('/matches?mutual=2');
    const after = sections((await w.a.get('/matches')).text);
    expect(after.mutual).to.contain(`${MUTUAL - 1} bostäder passar båda vägarna`);
    expect(listingIds(after.mutual, w.mine.id)).to.deep.equal(w.mutual.slice(1, MATCHES_PAGE_SIZE + 1));
    expect((await postForm(w.a, '/swaps/marks/undo', { suggestion: key })).status).to.equal(303);
  });

  it('counts a list only when its first page is full or a later page is asked for', async () => {
    const me = await createUser();
    await createListing(me, { district: 'kumpula', postalCode: '00560', wantedDistricts: ['koskela'] });
    await createListing(undefined, { district: 'koskela', postalCode: '00600', wantedDistricts: ['kumpula'] });
    const a = await signIn(me);
    await a.get('/matches');
    const counts = async (path: string) =>
      (await countQueries(() => a.get(path))).queries.sql.filter((q) => /COUNT\(\*\)/i.test(q)).length;
    const res = await a.get('/matches');
    expect(res.text).to.contain('1 bostad passar båda vägarna');
    expect(res.text).to.not.contain('class="pagination"');
    expect(res.text).to.not.contain('de bästa först');
    expect(await counts('/matches')).to.equal(0);
    // A later page asked for: each section counts to know its last page (here page 1).
    expect(await counts('/matches?mutual=2&rings=2&wants=2')).to.equal(3);
    // The busy tenant's first pages are full: mutual and wants are counted, and the rings.
    expect((await countQueries(() => w.a.get('/matches'))).queries.sql.filter((q) => /COUNT\(\*\)/i.test(q))).to.have.length(3);
  });
});
