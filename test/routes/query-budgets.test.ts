import { expect } from 'chai';
import type { Listing } from '../../models/listing';
import type { User } from '../../models/user';
import { context } from '../helpers/context';
import { createConversation, createListing, createUser, tenantWithListing } from '../helpers/factories';
import { signIn, type Agent } from '../helpers/http';
import { countQueries, type QueryLog } from '../helpers/query-count';

// Every signed-in page is a handful of indexed lookups, whatever the tenant has: the
// same number of queries with 2 conversations, matches and favourites as with 12. A page
// that loads one row per item (an N+1) fails here with its statements listed.

const BUDGETS: Record<string, number> = {
  // One page each of the pairs, "who wants my home" and the three-way swaps, the cards of
  // all their homes together (listings, wanted districts, photos), and the interest marks
  // of the pairs and rings shown. A section whose first page is full adds its COUNT (one
  // statement each), which these worlds of 2 and 12 partners never reach.
  '/matches': 13,
  '/messages': 5,
  '/messages/:id': 11, // + the swap panel (participants' steps and names, one query)
  '/listings': 7,
  '/listings/:id': 10,
  '/favourites': 7,
  '/account': 8, // + the listing's photos, + alerts and saved searches (one query each)
  '/account/data': 18, // + interest marks, + the listing's photos, + alerts and saved searches
};

interface World {
  user: User;
  a: Agent;
  conversations: number[];
  other: Listing;
}

/** A tenant with `n` partners: each matches both ways, has a conversation and is a favourite. */
async function world(n: number): Promise<World> {
  const { user } = await tenantWithListing({}, { district: 'kallio', wantedDistricts: ['vallila'] });
  const conversations: number[] = [];
  let other: Listing | undefined;
  for (let i = 0; i < n; i++) {
    const partner = await createUser();
    const listing = await createListing(partner, { district: 'vallila', wantedDistricts: ['kallio'] });
    other ??= listing;
    const { conversation } = await createConversation(listing, user, [
      { from: user, body: 'Hej!' },
      { from: partner, body: 'Hej själv!' },
    ]);
    conversations.push(conversation.id);
    await context().board.services.listings.favourite(user, listing);
  }
  return { user, a: await signIn(user), conversations, other: other! };
}

function pathsOf(w: World): Record<string, string> {
  return {
    '/matches': '/matches',
    '/messages': '/messages',
    '/messages/:id': `/messages/${w.conversations[0]}`,
    '/listings': '/listings',
    '/listings/:id': `/listings/${w.other.id}`,
    '/favourites': '/favourites',
    '/account': '/account',
    '/account/data': '/account/data',
  };
}

/**
 * The queries of one page view, after earlier views did the one-off work: reading the
 * thread, storing the form's CSRF token, and pushing the session's idle deadline forward
 * (written at most once a minute, see middleware/session.ts).
 */
async function queriesOf(a: Agent, path: string): Promise<QueryLog> {
  for (let i = 0; i < 2; i++) expect((await a.get(path)).status, path).to.equal(200);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const { result, queries } = await countQueries(() => a.get(path));
  expect(result.status, path).to.equal(200);
  return queries;
}

describe('query budgets of the signed-in pages', () => {
  // The suite's app hands queued mail to the test mailbox before each response; in the
  // server that is the mail worker's job, outside requests, so it is not a page's cost.
  beforeEach(() => {
    context().deliverBeforeResponse = false;
  });
  afterEach(() => {
    context().deliverBeforeResponse = true;
  });

  for (const [route, budget] of Object.entries(BUDGETS)) {
    it(`${route} stays within ${budget} queries, with 2 items or 12`, async () => {
      const few = await world(2);
      const fewQueries = await queriesOf(few.a, pathsOf(few)[route]!);
      const many = await world(12);
      const manyQueries = await queriesOf(many.a, pathsOf(many)[route]!);
      expect(fewQueries.count, `${route} with 2 items:\n${fewQueries.sql.join('\n')}`).to.be.at.most(budget);
      expect(manyQueries.count, `${route} with 12 items:\n${manyQueries.sql.join('\n')}`).to.equal(fewQueries.count);
    });
  }

  it('reads a thread again without writing anything', async () => {
    const w = await world(1);
    const path = `/messages/${w.conversations[0]}`;
    const queries = await queriesOf(w.a, path);
    expect(queries.sql.filter((q) => /^(UPDATE|INSERT|DELETE)/i.test(q))).to.deep.equal([]);
  });

  it('marks an unread thread read when it is opened', async () => {
    const w = await world(1);
    const path = `/messages/${w.conversations[0]}`;
    const { queries } = await countQueries(() => w.a.get(path));
    expect(
      queries.sql.some((q) => /^UPDATE .conversation_participants/i.test(q)),
      queries.sql.join('\n'),
    ).to.equal(true);
  });
});
