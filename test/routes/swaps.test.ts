import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { Listing } from '../../models/listing';
import type { User } from '../../models/user';
import { deleteAccounts } from '../../server/services/account-deletion';
import { context, deliverQueuedMail } from '../helpers/context';
import { createListing, createModerator, createUser } from '../helpers/factories';
import { agent, postForm, signIn, signInModerator, type Agent } from '../helpers/http';

// Three-way swaps on /matches, interest marks, the ring's shared conversation, and
// closing a swap (agreed → summary → swapped), as tenants use them.

interface Party {
  user: User;
  listing: Listing;
  agent: Agent;
}

/** Kallio → Vallila → Sörnäinen → Kallio: each wants the next one's district. */
async function ring(): Promise<{ parties: [Party, Party, Party]; key: string }> {
  const spec = [
    ['kallio', '00530', 'vallila'],
    ['vallila', '00510', 'sornainen'],
    ['sornainen', '00500', 'kallio'],
  ] as const;
  const parties: Party[] = [];
  for (const [i, [district, postalCode, wants]] of spec.entries()) {
    const user = await createUser({ username: `ring_${'abc'[i]}_${Date.now() % 100000}`, notifyMessages: true });
    const listing = await createListing(user, {
      district,
      postalCode,
      wantedDistricts: [wants],
      rooms: 2 + i,
      sizeM2: 40 + i * 10,
      rentEur: 700 + i * 50,
      description: `Secret description ${i}`,
    });
    parties.push({ user, listing, agent: await signIn(user) });
  }
  const ids = parties.map((p) => p.listing.id);
  return { parties: parties as [Party, Party, Party], key: `r:${ids[0]}-${ids[1]}-${ids[2]}` };
}

const mark = (p: Party, suggestion: string, interest: 'yes' | 'no') =>
  postForm(p.agent, '/swaps/marks', { suggestion, interest }, undefined);

describe('three-way swaps and interest marks on /matches', () => {
  it('shows each ring with all three homes, the count, and how many said yes', async () => {
    const {
      parties: [a, b, c],
      key,
    } = await ring();
    const page = await a.agent.get('/matches');
    expect(page.status).to.equal(200);
    expect(page.text).to.contain('Byten med tre bostäder');
    expect(page.text).to.contain('1 trepartsbyte');
    for (const p of [a, b, c]) expect(page.text).to.contain(`href="/listings/${p.listing.id}"`);
    expect(page.text).to.contain('0 av 3 är intresserade');

    expect((await mark(b, key, 'yes')).status).to.equal(303);
    const after = await a.agent.get('/matches');
    expect(after.text).to.contain('1 av 3 är intresserad');
    // B sees its own yes; A is told only the count.
    expect((await b.agent.get('/matches')).text).to.contain('du är intresserad');
    expect(after.text).to.not.contain('du är intresserad');
  });

  it('hides a ring marked "not interested" from /matches, lists it on /matches/hidden, and brings it back with undo', async () => {
    const {
      parties: [a],
      key,
    } = await ring();
    const res = await mark(a, key, 'no');
    expect(res.status).to.equal(303);
    const page = await a.agent.get('/matches');
    expect(page.text).to.contain('Inget trepartsbyte passar din bostad just nu.');
    const hidden = await a.agent.get('/matches/hidden');
    expect(hidden.status).to.equal(200);
    expect(hidden.text).to.contain('Ett byte med tre bostäder');
    const undo = await postForm(a.agent, '/swaps/marks/undo', { suggestion: key });
    expect(undo.status).to.equal(303);
    expect((await a.agent.get('/matches')).text).to.contain('1 trepartsbyte');
    expect((await a.agent.get('/matches/hidden')).text).to.contain('Du har inte dolt några förslag.');
    // A "no" is never counted for the others.
    expect((await mark(a, key, 'no')).status).to.equal(303);
    expect((await context().board.services.swaps.yesCounts([key])).get(key) ?? 0).to.equal(0);
  });

  it('hides a mutual pair marked "not interested" and counts the pair\'s yes out of 2', async () => {
    const me = await createUser();
    const mine = await createListing(me, { district: 'kallio', wantedDistricts: ['vallila'] });
    const them = await createListing(undefined, { district: 'vallila', wantedDistricts: ['kallio'] });
    const a = await signIn(me);
    const key = `p:${Math.min(mine.id, them.id)}-${Math.max(mine.id, them.id)}`;
    expect((await a.get('/matches')).text).to.contain('0 av 2 är intresserade');
    await postForm(a, '/swaps/marks', { suggestion: key, interest: 'yes' });
    expect((await a.get('/matches')).text).to.contain('1 av 2 är intresserad');
    await postForm(a, '/swaps/marks', { suggestion: key, interest: 'no' });
    const page = await a.get('/matches');
    expect(page.text).to.not.contain(`href="/listings/${them.id}"><`);
    expect(page.text).to.contain('1 hyresgäst vill ha en bostad som din'); // still in "who wants my home"
    expect((await a.get('/matches/hidden')).text).to.contain(`/listings/${them.id}`);
  });

  it("answers 404 to marks on suggestions that are not the tenant's, do not exist, are malformed, or whose listing is not active", async () => {
    const {
      parties: [a, b],
      key,
    } = await ring();
    const outsider = await createUser();
    await createListing(outsider, { district: 'eira', wantedDistricts: ['kallio'] });
    const o = await signIn(outsider);
    expect((await postForm(o, '/swaps/marks', { suggestion: key, interest: 'yes' })).status).to.equal(404);
    const [x, y, z] = key.slice(2).split('-');
    expect((await mark(a, `r:${x}-${z}-${y}`, 'yes')).status, 'the reverse ring does not exist').to.equal(404);
    for (const bad of ['r:1-2', 'p:5-3', 'r:abc', '', 'x:1-2-3']) {
      expect((await mark(a, bad, 'yes')).status, bad).to.equal(404);
    }
    expect((await mark(a, key, 'maybe' as 'yes')).status).to.equal(404);
    await context().board.services.listings.pause(b.listing);
    expect((await mark(a, key, 'yes')).status, 'the ring is gone with B paused').to.equal(404);
    expect((await postForm(a.agent, '/swaps/marks/undo', { suggestion: key })).status, 'nothing to undo').to.equal(404);
    // Signed out: no marking at all.
    const anon = agent();
    const res = await anon.post('/swaps/marks').type('form').send({ suggestion: key, interest: 'yes' });
    expect([302, 303, 403]).to.include(res.status);
  });

  it('keeps at most 500 marks per tenant', async () => {
    const {
      parties: [a],
      key,
    } = await ring();
    const { sequelize } = context().db;
    const now = new Date();
    for (let i = 0; i < 500; i++) {
      await sequelize.query(
        `INSERT INTO swap_marks (user_id, suggestion, listing_a, listing_b, listing_c, interested, created_at, updated_at)
         VALUES (:u, :s, :l, :l, NULL, :no, :now, :now)`,
        { replacements: { u: a.user.id, s: `p:${i + 1}-${i + 2}`, l: a.listing.id, no: false, now } },
      );
    }
    const res = await mark(a, key, 'yes');
    expect(res.status).to.equal(303);
    const page = await a.agent.get(res.headers.location!.replace(/#.*/, ''));
    expect(page.text).to.contain('Du har markerat 500 förslag');
    expect((await context().board.services.swaps.yesCounts([key])).get(key) ?? 0).to.equal(0);
  });
});

describe('the shared conversation of a three-way swap', () => {
  it('opens when the third tenant says yes, for the three of them only, with notices to both others', async () => {
    const {
      parties: [a, b, c],
      key,
    } = await ring();
    expect((await mark(a, key, 'yes')).headers.location).to.match(/^\/matches/);
    expect((await mark(b, key, 'yes')).headers.location).to.match(/^\/matches/);
    const third = await mark(c, key, 'yes');
    expect(third.status).to.equal(303);
    const href = third.headers.location!;
    expect(href).to.match(/^\/messages\/\d+$/);
    for (const p of [a, b, c]) {
      const page = await p.agent.get(href);
      expect(page.status).to.equal(200);
      expect(page.text).to.contain('Trepartsbyte med');
    }
    // The others' /matches link to it.
    expect((await a.agent.get('/matches')).text).to.contain(`href="${href}"`);
    // Anyone else: 404, signed in or not.
    const outsider = await signIn(await createUser());
    expect((await outsider.get(href)).status).to.equal(404);
    expect((await agent().get(href)).status).to.equal(404);
    expect((await postForm(outsider, href, { body: 'hello' })).status).to.equal(404);
    expect((await postForm(outsider, `${href}/agree`, {})).status).to.equal(404);
    expect((await outsider.get(`${href}/summary`)).status).to.equal(404);

    // A message reaches both others, with a notice each (no text, no sender in it).
    context().mailer.sent.length = 0;
    const sent = await postForm(a.agent, href, { body: 'Hej båda två! Ska vi träffas?' });
    expect(sent.status).to.equal(303);
    await deliverQueuedMail();
    const to = context().mailer.sent.map((m) => String(m.to));
    expect(to).to.have.members([b.user.email, c.user.email]);
    for (const m of context().mailer.sent) {
      expect(m.text).to.not.contain('Hej båda två');
      expect(m.text).to.not.contain(a.user.username);
    }
    const bPage = await b.agent.get(href);
    expect(bPage.text).to.contain('Hej båda två! Ska vi träffas?');
    expect(bPage.text).to.contain(a.user.username);
    const inbox = await c.agent.get('/messages');
    expect(inbox.text).to.contain('Trepartsbyte');
  });

  it('lets a tenant block one of the others and report a message there', async () => {
    const {
      parties: [a, b, c],
      key,
    } = await ring();
    await mark(a, key, 'yes');
    await mark(b, key, 'yes');
    const href = (await mark(c, key, 'yes')).headers.location!;
    await postForm(b.agent, href, { body: 'Message from B' });
    const conversationId = Number(href.split('/').pop());
    const [msg] = await context().db.sequelize.query<{ id: number }>('SELECT id FROM messages WHERE conversation_id = :id', {
      type: QueryTypes.SELECT,
      replacements: { id: conversationId },
    });
    expect((await postForm(c.agent, `${href}/report`, { message_id: String(msg!.id), reason: 'offensive' })).status).to.equal(
      303,
    );
    expect((await postForm(c.agent, `${href}/block`, { user_id: String(b.user.id) })).status).to.equal(303);
    // B can no longer write there (C blocked B); A still can.
    expect((await postForm(b.agent, href, { body: 'Still there?' })).status).to.equal(403);
    expect((await postForm(a.agent, href, { body: 'A here' })).status).to.equal(303);
    // A user_id that is not in the conversation is not found.
    const outsider = await createUser();
    expect((await postForm(c.agent, `${href}/block`, { user_id: String(outsider.id) })).status).to.equal(404);
  });
});

describe('closing a swap', () => {
  async function ringConversation() {
    const r = await ring();
    const [a, b, c] = r.parties;
    await mark(a, r.key, 'yes');
    await mark(b, r.key, 'yes');
    const href = (await mark(c, r.key, 'yes')).headers.location!;
    return { ...r, href };
  }

  it('opens the summary for the landlord only when all have agreed, with the homes and usernames and nothing else', async () => {
    const { parties, href } = await ringConversation();
    const [a, b, c] = parties;
    expect((await a.agent.get(`${href}/summary`)).status, 'not yet agreed').to.equal(303);
    expect((await postForm(a.agent, `${href}/agree`, {})).status).to.equal(303);
    expect((await postForm(b.agent, `${href}/agree`, {})).status).to.equal(303);
    expect((await a.agent.get(href)).text).to.contain('Väntar på de andra.');
    expect((await c.agent.get(`${href}/summary`)).status).to.equal(303);
    await postForm(c.agent, `${href}/agree`, {});
    const summary = await c.agent.get(`${href}/summary`);
    expect(summary.status).to.equal(200);
    for (const p of parties) {
      expect(summary.text).to.contain(p.user.username);
      expect(summary.text).to.contain(p.listing.postalCode);
      expect(summary.text).to.not.contain(p.user.email);
      expect(summary.text).to.not.contain(p.listing.description);
    }
    expect(summary.text).to.contain('Den här sammanfattningen är ingen ansökan');
    expect(summary.text).to.contain('Berghäll');
    expect(summary.text).to.match(/750\s€/);
    // Taking back one's agreement is no longer possible once all agreed.
    expect((await postForm(a.agent, `${href}/agree/undo`, {})).status).to.equal(303);
    expect((await a.agent.get(`${href}/summary`)).status).to.equal(200);
  });

  it('"We have swapped" closes the tenant\'s listing everywhere, offers deletion, and moderators see the monthly counts', async () => {
    const { parties, href } = await ringConversation();
    const [a, b, c] = parties;
    expect((await postForm(a.agent, `${href}/swapped`, {})).status, 'not before all agreed').to.equal(303);
    expect((await Listing.findByPk(a.listing.id))!.status).to.equal('active');
    for (const p of parties) await postForm(p.agent, `${href}/agree`, {});
    const res = await postForm(a.agent, `${href}/swapped`, {});
    expect(res.headers.location).to.equal('/swaps/done');
    const done = await a.agent.get('/swaps/done');
    expect(done.text).to.contain('href="/account/delete"');
    expect((await Listing.findByPk(a.listing.id))!.status).to.equal('paused');
    // Out of search, matches and rings at once.
    const search = await agent().get('/listings?district=kallio');
    expect(search.text).to.not.contain(`/listings/${a.listing.id}"`);
    expect((await b.agent.get('/matches')).text).to.contain('Inget trepartsbyte passar din bostad just nu.');
    const [{ n }] = await context().db.sequelize.query<{ n: number }>('SELECT COUNT(*) AS n FROM match_rings', {
      type: QueryTypes.SELECT,
    });
    expect(Number(n)).to.equal(0);
    await postForm(b.agent, `${href}/swapped`, {});
    await postForm(c.agent, `${href}/swapped`, {});

    const moderator = await signInModerator(await createModerator());
    const admin = await moderator.get('/admin');
    expect(admin.status).to.equal(200);
    const month = context().clock.now().toISOString().slice(0, 7);
    const counts = admin.text.slice(admin.text.indexOf('id="swaps-title"'));
    expect(counts, counts.slice(0, 1200)).to.match(new RegExp(`<th scope="row">${month}</th><td>1</td><td>1</td>`));
    for (const p of parties) expect(admin.text).to.not.contain(p.user.username);
  });

  it('works for a two-party conversation too', async () => {
    const me = await createUser();
    await createListing(me, { district: 'kallio', wantedDistricts: ['vallila'] });
    const other = await createUser();
    const theirs = await createListing(other, { district: 'vallila', wantedDistricts: ['kallio'] });
    const a = await signIn(me);
    const start = await postForm(a, `/listings/${theirs.id}/messages`, { body: 'Hej!' });
    const href = start.headers.location!;
    const o = await signIn(other);
    await postForm(a, `${href}/agree`, {});
    await postForm(o, `${href}/agree`, {});
    const summary = await o.get(`${href}/summary`);
    expect(summary.status).to.equal(200);
    expect(summary.text).to.contain(me.username);
    expect(summary.text).to.contain(other.username);
  });
});

describe('marks go with the account', () => {
  it("erasure deletes the tenant's marks and the marks on its listing, and the export lists its own marks", async () => {
    const {
      parties: [a, b],
      key,
    } = await ring();
    await mark(a, key, 'yes');
    await mark(b, key, 'no');
    const exported = await a.agent.get('/account/export');
    expect(exported.status).to.equal(200);
    const marks = JSON.parse(exported.text).interestMarks as { kind: string; interested: boolean; listingIds: number[] }[];
    expect(marks.map((m) => [m.kind, m.interested, m.listingIds.length])).to.deep.equal([['ring', true, 3]]);
    await context().db.sequelize.transaction((transaction) => deleteAccounts([a.user.id], { transaction }));
    const rows = await context().db.sequelize.query('SELECT * FROM swap_marks', { type: QueryTypes.SELECT });
    expect(rows).to.deep.equal([]);
  });
});
