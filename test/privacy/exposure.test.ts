import { expect } from 'chai';
import type { User } from '../../models/user';
import { context } from '../helpers/context';
import { createConversation, createListing, createUser } from '../helpers/factories';
import { agent, signIn, type Agent } from '../helpers/http';

// "Never leaves the service" (docs/product.md#who-sees-what): a crawl of the board's pages as an anonymous
// visitor, as a tenant who talks with the data's owner, and as a stranger. No page may show
// another tenant's e-mail address, nor their phone number unless they ticked "show my
// phone" and the viewer is signed in; and no page may point to another origin.
//
// The crawl is list-driven: add a path to PATHS when a new page appears (placeholders:
// :listingA, :listingB, :conversation, :userA, :userB). Links found on the visited pages
// are followed too (same origin, GET, up to MAX_PAGES per viewer).

const PATHS = [
  '/',
  '/privacy',
  '/accessibility',
  '/login',
  '/register',
  '/forgot-password',
  '/healthz',
  '/listings',
  '/listings?district=kallio&sort=rent',
  '/listings/:listingA',
  '/listings/:listingB',
  '/matches',
  '/favourites',
  '/messages',
  '/messages/:conversation',
  '/account',
  '/account/data',
  '/account/deleted',
  '/admin',
  '/admin/users',
  '/admin/users/:userA',
  '/admin/listings',
  '/admin/reports',
  '/admin/audit',
];
/** Never followed by the crawler: they change state or leave the session. */
const SKIP = [/^\/logout/, /^\/language/, /^\/notifications\/unsubscribe/, /^\/verify-email/, /^\/reset-password/];
const MAX_PAGES = 60;

interface World {
  a: User; // never shows the phone
  b: User; // shows the phone on the listing
  c: User; // a stranger to both
  values: Record<string, string>;
}

async function buildWorld(): Promise<World> {
  const a = await createUser({
    username: 'alma_owner',
    email: 'alma.private@example.fi',
    phone: '+358401000001',
    showPhone: false,
  });
  const b = await createUser({
    username: 'bert_owner',
    email: 'bert.private@example.fi',
    phone: '+358401000002',
    showPhone: true,
  });
  const c = await createUser({ username: 'cecilia', email: 'cecilia.private@example.fi', phone: '+358401000003' });
  const listingA = await createListing(a, { description: "Alma's flat by the sea", district: 'kallio' });
  const listingB = await createListing(b, {
    description: "Bert's flat by the park",
    district: 'kallio',
    wantedDistricts: ['kallio'],
  });
  const { conversation } = await createConversation(listingA, b, ['Hi Alma, shall we swap?', 'Maybe, tell me more']);
  return {
    a,
    b,
    c,
    values: {
      listingA: String(listingA.id),
      listingB: String(listingB.id),
      conversation: String(conversation.id),
      userA: String(a.id),
      userB: String(b.id),
    },
  };
}

function resolve(path: string, values: Record<string, string>): string {
  return path.replace(/:([a-zA-Z]+)/g, (_, name: string) => values[name] ?? `:${name}`);
}

/** Every src/href/action/formaction/srcset value and CSS url() on a page that leaves the origin. */
function foreignReferences(html: string): string[] {
  const found: string[] = [];
  for (const m of html.matchAll(/\b(?:src|href|action|formaction|poster|data)\s*=\s*["']?([^"'\s>]+)/gi)) {
    const url = m[1].replace(/&amp;/g, '&');
    if (/^mailto:/i.test(url)) continue;
    if (/^(?:[a-z][a-z0-9+.-]*:)?\/\//i.test(url) || /^(?:javascript|data|http|https|ftp):/i.test(url)) found.push(m[0]);
  }
  for (const m of html.matchAll(/\bsrcset\s*=\s*["']([^"']+)["']/gi)) {
    if (/(?:^|,\s*)(?:[a-z]+:)?\/\//i.test(m[1])) found.push(m[0]);
  }
  for (const m of html.matchAll(/url\(\s*["']?([^"')]+)/gi)) {
    if (/^(?:[a-z]+:)?\/\//i.test(m[1])) found.push(m[0]);
  }
  return found;
}

interface Viewer {
  name: string;
  user: User | null;
  agent: Agent;
}

/** What `viewer` must never see: other tenants' e-mail addresses, and phones not allowed to them. */
function forbiddenFor(viewer: Viewer, world: World): string[] {
  const out: string[] = [];
  for (const owner of [world.a, world.b, world.c]) {
    if (viewer.user?.id === owner.id) continue;
    out.push(owner.email);
    const phoneAllowed = owner.showPhone && viewer.user !== null;
    if (!phoneAllowed) out.push(owner.phone!);
  }
  return out;
}

async function crawl(viewer: Viewer, world: World) {
  const queue = PATHS.map((p) => resolve(p, world.values));
  const seen = new Set<string>();
  const problems: string[] = [];
  let pages = 0;
  while (queue.length > 0 && pages < MAX_PAGES) {
    const path = queue.shift()!;
    if (seen.has(path) || SKIP.some((re) => re.test(path))) continue;
    seen.add(path);
    const res = await viewer.agent.get(path).redirects(0);
    if (process.env.CRAWL_DEBUG) console.log(viewer.name, res.status, path);
    pages += 1;
    const body = res.text ?? '';
    for (const secret of forbiddenFor(viewer, world)) {
      if (body.includes(secret)) problems.push(`${viewer.name} GET ${path} (${res.status}) shows ${secret}`);
    }
    if (/text\/html/.test(res.headers['content-type'] ?? '')) {
      for (const ref of foreignReferences(body)) problems.push(`${viewer.name} GET ${path} points elsewhere: ${ref}`);
      expect(res.headers['content-security-policy'], path).to.contain("default-src 'self'");
      for (const m of body.matchAll(/href="(\/[^"#]*)/g)) {
        const link = m[1].replace(/&amp;/g, '&');
        if (!seen.has(link)) queue.push(link);
      }
    }
  }
  return { problems, pages };
}

describe("no page exposes a tenant's contact data or loads anything from elsewhere", function () {
  this.timeout(120_000);

  it('as an anonymous visitor', async () => {
    const world = await buildWorld();
    const { problems, pages } = await crawl({ name: 'anonymous', user: null, agent: agent() }, world);
    expect(problems).to.deep.equal([]);
    expect(pages).to.be.at.least(PATHS.length - 5);
  });

  it('as the tenant in a conversation with the owner', async () => {
    const world = await buildWorld();
    const { problems } = await crawl({ name: 'partner', user: world.b, agent: await signIn(world.b) }, world);
    expect(problems).to.deep.equal([]);
  });

  it('as a signed-in stranger', async () => {
    const world = await buildWorld();
    const { problems } = await crawl({ name: 'stranger', user: world.c, agent: await signIn(world.c) }, world);
    expect(problems).to.deep.equal([]);
  });

  it('the crawler itself notices a page that points to another origin', () => {
    expect(foreignReferences('<a href="https://example.com/x">x</a><img src="//cdn.example.com/a.png">')).to.have.length(2);
    expect(
      foreignReferences('<a href="mailto:tietosuoja@hekaoy.fi">m</a><a href="/privacy">p</a><link href="/css/app.css">'),
    ).to.deep.equal([]);
  });

  it("serves pages with the privacy headers; the notice's only way out is a mailto: link to the contact", async () => {
    for (const path of ['/privacy', '/', '/listings']) {
      const res = await agent().get(path);
      expect(res.headers['referrer-policy'], path).to.equal('no-referrer');
      expect(res.headers['content-security-policy'], path).to.contain("default-src 'self'");
      expect(res.headers['content-security-policy'], path).to.not.contain("'unsafe-inline'");
    }
    const notice = await agent().get('/privacy');
    expect(notice.text).to.contain(`href="mailto:${context().config.org.privacyContact}"`);
    expect(foreignReferences(notice.text)).to.deep.equal([]);
  });
});
