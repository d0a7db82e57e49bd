import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { rng } from '../../jobs/seed';
import { Listing } from '../../models/listing';
import type { User } from '../../models/user';
import { deleteAccounts } from '../../server/services/account-deletion';
import type { ListingInput } from '../../server/services/listings';
import { computeEdges, loadActiveFacts, rebuildMatchGraph, refreshListingEdges } from '../../server/services/match-graph';
import { context } from '../helpers/context';
import { createModerator, createUser } from '../helpers/factories';

// The match graph must always equal a fresh recomputation, whatever happens to the
// listings. Random listings in four districts (so that many of them match), then random
// changes through the services the routes use; after every change three answers must
// agree: the stored edges, the edges computed in memory from the listings, and — for
// every active listing — the pages' lists read from the graph versus scored live in SQL.

const DISTRICTS = ['kallio', 'vallila', 'alppiharju', 'sornainen'];

/** The seeder's deterministic PRNG, so a failure can be replayed. */
const prng = rng;
type Random = ReturnType<typeof prng>;

function randomInput(r: Random): ListingInput {
  const rooms = r.int(1, 4);
  const size = rooms * r.int(18, 28);
  const wanted = new Set<string>();
  const n = r.int(0, 3);
  while (wanted.size < n) wanted.add(r.pick(DISTRICTS));
  return {
    district: r.pick(DISTRICTS),
    postalCode: '00530',
    rooms,
    sizeM2: size,
    rentEur: size * r.int(13, 20),
    floor: 2,
    hasLift: r.chance(0.5),
    hasBalcony: r.chance(0.5),
    hasSauna: r.chance(0.3),
    buildingType: 'block',
    availableFrom: null,
    description: 'A flat',
    wantedDistricts: [...wanted],
    wantedRoomsMin: r.chance(0.6) ? r.int(1, 4) : null,
    wantedSizeMin: r.chance(0.5) ? r.int(20, 90) : null,
    wantedRentMax: r.chance(0.6) ? r.int(400, 1500) : null,
    wantedLift: r.chance(0.2),
    wantedBalcony: r.chance(0.2),
    wantedSauna: r.chance(0.1),
    wantedDescription: '',
  };
}

async function storedEdges(): Promise<string[]> {
  const rows = await context().db.sequelize.query<{ wanter_id: number; home_id: number; fit: number }>(
    'SELECT wanter_id, home_id, fit FROM match_edges ORDER BY wanter_id, home_id',
    { type: QueryTypes.SELECT },
  );
  return rows.map((e) => `${e.wanter_id}>${e.home_id}:${e.fit}`);
}

async function recomputedEdges(): Promise<string[]> {
  const { sequelize } = context().db;
  const facts = await sequelize.transaction((t) => loadActiveFacts(sequelize, t));
  return [...computeEdges(facts)].map(([w, h, f]) => `${w}>${h}:${f}`);
}

async function expectGraphMatchesRecomputation(step: string): Promise<void> {
  expect(await storedEdges(), `edges after ${step}`).to.deep.equal(await recomputedEdges());
  const listings = context().board.services.listings;
  const active = await Listing.findAll({ where: { status: 'active' }, attributes: ['id'] });
  for (const { id } of active) {
    const me = (await listings.findById(id))!;
    const shape = (list: Awaited<ReturnType<typeof listings.matches>>) => ({
      total: list.total,
      items: list.items.map((m) => [m.listing.id, m.score, m.fitsMe, m.fitsThem, m.mutual]),
    });
    expect(shape(await listings.matches(me, 5)), `matches of ${id} after ${step}`).to.deep.equal(
      shape(await listings.liveMatches(me, 5)),
    );
    expect(shape(await listings.wantsMine(me, 5)), `wantsMine of ${id} after ${step}`).to.deep.equal(
      shape(await listings.liveWantsMine(me, 5)),
    );
  }
}

describe('the match graph', function () {
  this.timeout(180_000);

  it('equals a fresh recomputation after every kind of listing change, over random listings', async () => {
    const { listings, moderation } = context().board.services;
    const r = prng(20261130);
    const moderator = await createModerator();
    const owners: User[] = [];
    for (let i = 0; i < 14; i++) {
      const owner = await createUser();
      owners.push(owner);
      await listings.create(owner, randomInput(r));
    }
    await expectGraphMatchesRecomputation('creating 14 listings');

    const steps = ['edit', 'pause', 'resume', 'hide', 'restore', 'remove', 'delete', 'suspend', 'erase', 'create'] as const;
    for (let round = 0; round < 24; round++) {
      const step = steps[round % steps.length]!;
      const all = await Listing.findAll({ order: [['id', 'ASC']] });
      const pick = (status?: string) => {
        const candidates = status ? all.filter((l) => l.status === status) : all;
        return candidates.length > 0 ? r.pick(candidates) : undefined;
      };
      let target: Listing | undefined;
      switch (step) {
        case 'edit':
          if ((target = pick())) await listings.update(target, randomInput(r));
          break;
        case 'pause':
          if ((target = pick('active'))) await listings.pause(target);
          break;
        case 'resume':
          if ((target = pick('paused'))) await listings.resume(target);
          break;
        case 'hide':
          if ((target = pick('active'))) await moderation.hideListing(moderator, target, 'Spam');
          break;
        case 'restore':
          if ((target = pick('hidden'))) await moderation.restoreListing(moderator, target, 'OK');
          break;
        case 'remove':
          if ((target = pick('active'))) await moderation.removeListing(moderator, target, 'Gone');
          break;
        case 'delete':
          if ((target = pick())) await listings.remove(target);
          break;
        case 'suspend': {
          const listing = pick('active');
          const owner = listing && owners.find((o) => o.id === listing.userId);
          if (owner) await moderation.suspendUser(moderator, owner, 'Abuse');
          break;
        }
        case 'erase': {
          const listing = pick();
          if (listing)
            await context().db.sequelize.transaction((transaction) => deleteAccounts([listing.userId], { transaction }));
          break;
        }
        case 'create': {
          const owner = await createUser();
          owners.push(owner);
          await listings.create(owner, randomInput(r));
          await listings.create(await createUser(), randomInput(r));
          break;
        }
      }
      await expectGraphMatchesRecomputation(`${step} (round ${round})`);
    }
  });

  it('is rebuilt from scratch to the same edges, and the rebuild counts them', async () => {
    const { listings } = context().board.services;
    const r = prng(7);
    for (let i = 0; i < 12; i++) await listings.create(await createUser(), randomInput(r));
    const before = await storedEdges();
    expect(before.length, 'the random listings match each other').to.be.greaterThan(5);
    await context().db.sequelize.query('DELETE FROM match_edges');
    expect(await rebuildMatchGraph(context().db.sequelize)).to.equal(before.length);
    expect(await storedEdges()).to.deep.equal(before);
  });

  it('writes only the edges a change adds, removes or re-scores', async () => {
    const { listings } = context().board.services;
    const { sequelize } = context().db;
    const wish = { wantedRoomsMin: null, wantedSizeMin: null, wantedLift: false, wantedBalcony: false, wantedSauna: false };
    const base = { ...randomInput(prng(3)), ...wish, district: 'kallio', rentEur: 800, wantedDistricts: ['vallila'] };
    const mine = await listings.create(await createUser(), { ...base, wantedRentMax: null });
    // Two tenants in Vallila want Kallio: one can pay 1,000 €, the other exactly 800 €.
    const other = { ...base, district: 'vallila', wantedDistricts: ['kallio'] };
    await listings.create(await createUser(), { ...other, wantedRentMax: 1000 });
    await listings.create(await createUser(), { ...other, wantedRentMax: 800 });
    const refresh = () => sequelize.transaction((t) => refreshListingEdges(sequelize, mine.id, t));
    const before = await storedEdges();
    expect(await refresh(), 'nothing changed').to.include({ added: 0, removed: 0, refitted: 0, out: 2, in: 2 });
    expect(await storedEdges()).to.deep.equal(before);
    // 20 € more: one fit into my home falls (the 1,000 € wish has less headroom) and the
    // 800 € wish is no longer met.
    await sequelize.query('UPDATE listings SET rent_eur = 820 WHERE id = :id', { replacements: { id: mine.id } });
    expect(await refresh()).to.include({ added: 0, removed: 1, refitted: 1, out: 2, in: 1 });
    expect(await storedEdges()).to.deep.equal(await recomputedEdges());
    await sequelize.query('UPDATE listings SET rent_eur = 800 WHERE id = :id', { replacements: { id: mine.id } });
    expect(await refresh()).to.include({ added: 1, removed: 0, refitted: 1, out: 2, in: 2 });
    expect(await storedEdges()).to.deep.equal(before);
  });

  it('reads a page of matches for an active listing from the graph, not from the listings', async () => {
    const { listings } = context().board.services;
    const a = await listings.create(await createUser(), {
      ...randomInput(prng(1)),
      district: 'kallio',
      wantedDistricts: ['vallila'],
      wantedRoomsMin: null,
      wantedSizeMin: null,
      wantedRentMax: null,
      wantedLift: false,
      wantedBalcony: false,
      wantedSauna: false,
    });
    const b = await listings.create(await createUser(), {
      ...randomInput(prng(2)),
      district: 'vallila',
      wantedDistricts: ['kallio'],
      wantedRoomsMin: null,
      wantedSizeMin: null,
      wantedRentMax: null,
      wantedLift: false,
      wantedBalcony: false,
      wantedSauna: false,
    });
    const me = (await listings.findById(a.id))!;
    expect((await listings.matches(me)).items.map((m) => m.listing.id)).to.deep.equal([b.id]);
    // Emptying the graph behind the service's back shows the page reads the edges.
    await context().db.sequelize.query('DELETE FROM match_edges');
    expect((await listings.matches(me)).total).to.equal(0);
    expect((await listings.liveMatches(me, 50)).total).to.equal(1);
  });
});
