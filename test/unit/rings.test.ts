import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { rng } from '../../jobs/seed';
import { runPurge } from '../../jobs/purge';
import { Listing } from '../../models/listing';
import type { User } from '../../models/user';
import { deleteAccounts } from '../../server/services/account-deletion';
import type { ListingInput } from '../../server/services/listings';
import { loadActiveFacts } from '../../server/services/match-graph';
import {
  computeRings,
  countRingsForListing,
  rebuildRings,
  refreshListingRings,
  ringsForListing,
} from '../../server/services/rings';
import { context } from '../helpers/context';
import { createModerator, createUser } from '../helpers/factories';

// Three-way swaps: a ring A → B → C → A exists when B's flat meets A's wishes, C's meets
// B's and A's meets C's. Rings must follow every kind of listing change at once.

const open = {
  postalCode: '00530',
  rooms: 2,
  sizeM2: 50,
  rentEur: 800,
  floor: 2,
  hasLift: false,
  hasBalcony: false,
  hasSauna: false,
  buildingType: 'block' as const,
  availableFrom: null,
  description: 'A flat',
  wantedRoomsMin: null,
  wantedSizeMin: null,
  wantedRentMax: null,
  wantedLift: false,
  wantedBalcony: false,
  wantedSauna: false,
  wantedDescription: '',
};
const flat = (district: string, wanted: string[], more: Partial<ListingInput> = {}): ListingInput => ({
  ...open,
  district,
  wantedDistricts: wanted,
  ...more,
});

async function storedRings(): Promise<string[]> {
  const rows = await context().db.sequelize.query<{ listing_a: number; listing_b: number; listing_c: number; score: number }>(
    'SELECT listing_a, listing_b, listing_c, score FROM match_rings ORDER BY listing_a, listing_b, listing_c',
    { type: QueryTypes.SELECT },
  );
  return rows.map((r) => `${r.listing_a},${r.listing_b},${r.listing_c}:${r.score}`);
}

async function recomputedRings(): Promise<string[]> {
  const { sequelize } = context().db;
  const facts = await sequelize.transaction((t) => loadActiveFacts(sequelize, t));
  return [...computeRings(facts).values()]
    .sort((p, q) => p.ids[0] - q.ids[0] || p.ids[1] - q.ids[1] || p.ids[2] - q.ids[2])
    .map((r) => `${r.ids.join(',')}:${r.score}`);
}

/** Kallio → Vallila → Sörnäinen → Kallio: each wants the next one's district. */
async function triangle() {
  const { listings } = context().board.services;
  const owners = [await createUser(), await createUser(), await createUser()];
  const a = await listings.create(owners[0]!, flat('kallio', ['vallila']));
  const b = await listings.create(owners[1]!, flat('vallila', ['sornainen']));
  const c = await listings.create(owners[2]!, flat('sornainen', ['kallio']));
  return { owners, a, b, c };
}

describe('three-way swaps (server/services/rings.ts)', function () {
  this.timeout(120_000);

  it('finds the ring A → B → C → A once, rotated to its smallest id, and shows it from each member', async () => {
    const { a, b, c } = await triangle();
    expect(await storedRings()).to.deep.equal([`${a.id},${b.id},${c.id}:90`]);
    expect((await ringsForListing(a.id)).map((r) => r.listingIds)).to.deep.equal([[a.id, b.id, c.id]]);
    expect((await ringsForListing(b.id)).map((r) => r.listingIds)).to.deep.equal([[b.id, c.id, a.id]]);
    expect((await ringsForListing(c.id)).map((r) => r.listingIds)).to.deep.equal([[c.id, a.id, b.id]]);
    expect(await countRingsForListing(b.id)).to.equal(1);
  });

  it('scores a ring by the mean of its three fits, rounded half up', async () => {
    const { listings } = context().board.services;
    // A asks for at most 1,000 € and B's rent is 800: 200 € of headroom gives 12 of 18 points: 84.
    const a = await listings.create(await createUser(), flat('kallio', ['vallila'], { wantedRentMax: 1000 }));
    const b = await listings.create(await createUser(), flat('vallila', ['sornainen']));
    await listings.create(await createUser(), flat('sornainen', ['kallio']));
    const [ring] = await ringsForListing(b.id);
    // 84 (no features: 0 of 10) + 90 + 90 + 1, divided by 3 = 88 (integer division).
    expect(ring!.score).to.equal(88);
    expect(ring!.listingIds[2]).to.equal(a.id);
  });

  for (const [edge, breaker] of [
    ["A → B (B does not meet A's wishes)", 0],
    ["B → C (C does not meet B's wishes)", 1],
    ["C → A (A does not meet C's wishes)", 2],
  ] as const) {
    it(`finds no ring without the edge ${edge}`, async () => {
      const { listings } = context().board.services;
      const wishes = [['vallila'], ['sornainen'], ['kallio']];
      wishes[breaker] = ['eira'];
      await listings.create(await createUser(), flat('kallio', wishes[0]!));
      await listings.create(await createUser(), flat('vallila', wishes[1]!));
      await listings.create(await createUser(), flat('sornainen', wishes[2]!));
      expect(await storedRings()).to.deep.equal([]);
    });
  }

  it('follows the direction: the reverse wishes make the reverse ring, never both', async () => {
    const { listings } = context().board.services;
    const a = await listings.create(await createUser(), flat('kallio', ['sornainen']));
    const b = await listings.create(await createUser(), flat('vallila', ['kallio']));
    const c = await listings.create(await createUser(), flat('sornainen', ['vallila']));
    // A wants C's district, C wants B's, B wants A's: A → C → B → A.
    expect((await ringsForListing(a.id)).map((r) => r.listingIds)).to.deep.equal([[a.id, c.id, b.id]]);
    expect(await storedRings()).to.deep.equal([`${a.id},${c.id},${b.id}:90`]);
  });

  for (const step of ['pause', 'hide', 'remove', 'delete', 'suspend', 'erase', 'purge'] as const) {
    for (const member of [0, 1, 2]) {
      it(`disappears at once when member ${'ABC'[member]} is gone by ${step}`, async () => {
        const { listings, moderation } = context().board.services;
        const { owners, a, b, c } = await triangle();
        const target = [a, b, c][member]!;
        const owner = owners[member]!;
        const moderator = await createModerator();
        const { sequelize } = context().db;
        switch (step) {
          case 'pause':
            await listings.pause(target);
            break;
          case 'hide':
            await moderation.hideListing(moderator, target, 'Spam');
            break;
          case 'remove':
            await moderation.removeListing(moderator, target, 'Gone');
            break;
          case 'delete':
            await listings.remove(target);
            break;
          case 'suspend':
            await moderation.suspendUser(moderator, owner, 'Abuse');
            break;
          case 'erase':
            await sequelize.transaction((transaction) => deleteAccounts([owner.id], { transaction }));
            break;
          case 'purge': {
            // Passive for more than three months: the purge job deletes the account.
            await owner.update({ lastLoginAt: new Date('2020-01-01T00:00:00Z') });
            await runPurge({ now: new Date(), db: context().db, config: context().config, logger: context().deps.logger });
            break;
          }
        }
        expect(await storedRings(), 'no ring left').to.deep.equal([]);
        for (const l of [a, b, c]) expect(await ringsForListing(l.id)).to.deep.equal([]);
      });
    }
  }

  it('comes back on resume, keeps its row (and first-found time) through an edit that keeps it', async () => {
    const { listings } = context().board.services;
    const { a, b, c } = await triangle();
    const [first] = await ringsForListing(a.id);
    await listings.update(b, flat('vallila', ['sornainen'], { description: 'Now with a new kitchen' }));
    const [same] = await ringsForListing(a.id);
    expect(same!.id).to.equal(first!.id);
    expect(same!.createdAt.getTime()).to.equal(first!.createdAt.getTime());
    await listings.pause(c);
    expect(await ringsForListing(a.id)).to.deep.equal([]);
    await listings.resume(c);
    expect((await ringsForListing(a.id)).map((r) => r.listingIds)).to.deep.equal([[a.id, b.id, c.id]]);
  });

  it('updates the score when an edit changes a fit, and drops the ring when an edit breaks it', async () => {
    const { listings } = context().board.services;
    const { a, b } = await triangle();
    await listings.update(a, flat('kallio', ['vallila'], { wantedRentMax: 1000 }));
    expect((await ringsForListing(a.id))[0]!.score).to.equal(88);
    await listings.update(a, flat('kallio', ['vallila'], { wantedRentMax: 700 }));
    expect(await ringsForListing(b.id)).to.deep.equal([]);
  });

  it('equals a fresh recomputation after every kind of listing change, over random listings', async () => {
    const { listings, moderation } = context().board.services;
    const r = rng(20261201);
    const districts = ['kallio', 'vallila', 'alppiharju'];
    const randomInput = (): ListingInput => {
      const rooms = r.int(1, 3);
      const wanted = new Set<string>();
      const n = r.int(1, 2);
      while (wanted.size < n) wanted.add(r.pick(districts));
      return flat(r.pick(districts), [...wanted], {
        rooms,
        sizeM2: rooms * r.int(20, 28),
        rentEur: r.int(500, 1100),
        wantedRoomsMin: r.chance(0.4) ? r.int(1, 3) : null,
        wantedRentMax: r.chance(0.4) ? r.int(600, 1200) : null,
      });
    };
    const moderator = await createModerator();
    const owners: User[] = [];
    for (let i = 0; i < 12; i++) {
      const owner = await createUser();
      owners.push(owner);
      await listings.create(owner, randomInput());
    }
    expect((await storedRings()).length, 'the random listings make rings').to.be.greaterThan(3);
    expect(await storedRings(), 'after creating 12').to.deep.equal(await recomputedRings());
    const steps = ['edit', 'pause', 'resume', 'hide', 'restore', 'delete', 'suspend', 'erase', 'create'] as const;
    for (let round = 0; round < 18; round++) {
      const step = steps[round % steps.length]!;
      const all = await Listing.findAll({ order: [['id', 'ASC']] });
      const pick = (status?: string) => {
        const c = status ? all.filter((l) => l.status === status) : all;
        return c.length > 0 ? r.pick(c) : undefined;
      };
      let t: Listing | undefined;
      switch (step) {
        case 'edit':
          if ((t = pick())) await listings.update(t, randomInput());
          break;
        case 'pause':
          if ((t = pick('active'))) await listings.pause(t);
          break;
        case 'resume':
          if ((t = pick('paused'))) await listings.resume(t);
          break;
        case 'hide':
          if ((t = pick('active'))) await moderation.hideListing(moderator, t, 'Spam');
          break;
        case 'restore':
          if ((t = pick('hidden'))) await moderation.restoreListing(moderator, t, 'OK');
          break;
        case 'delete':
          if ((t = pick())) await listings.remove(t);
          break;
        case 'suspend': {
          const l = pick('active');
          const owner = l && owners.find((o) => o.id === l.userId);
          if (owner) await moderation.suspendUser(moderator, owner, 'Abuse');
          break;
        }
        case 'erase': {
          const l = pick();
          if (l) await context().db.sequelize.transaction((transaction) => deleteAccounts([l.userId], { transaction }));
          break;
        }
        case 'create':
          await listings.create(await createUser(), randomInput());
          break;
      }
      expect(await storedRings(), `after ${step} (round ${round})`).to.deep.equal(await recomputedRings());
    }
  });

  it('keeps to its bound: a refresh looks at the best homes × best wanters only and keeps the best rings found', async () => {
    const { listings } = context().board.services;
    const { sequelize } = context().db;
    // X in Kallio wants Vallila; two homes in Vallila (Y1 better than Y2 for X) each want
    // Sörnäinen, where two flats (Z1, Z2) want Kallio: four rings through X.
    const x = await listings.create(await createUser(), flat('kallio', ['vallila'], { wantedRoomsMin: 1 }));
    const y1 = await listings.create(await createUser(), flat('vallila', ['sornainen'], { rooms: 3 }));
    await listings.create(await createUser(), flat('vallila', ['sornainen'], { rooms: 1 }));
    await listings.create(await createUser(), flat('sornainen', ['kallio']));
    await listings.create(await createUser(), flat('sornainen', ['kallio']));
    expect(await countRingsForListing(x.id)).to.equal(4);
    await sequelize.query('DELETE FROM match_rings');
    await sequelize.transaction((t) => refreshListingRings(x.id, t, { limits: { edges: 1, keep: 1 } }));
    const rings = await ringsForListing(x.id);
    expect(rings.map((ring) => ring.listingIds[1])).to.deep.equal([y1.id]);
    // The rebuild with the full limits finds all four again.
    expect(await rebuildRings(sequelize)).to.equal(4);
    expect(await countRingsForListing(x.id)).to.equal(4);
  });

  it('is rebuilt to the same rings, keeping the rows (and first-found times) of rings that still exist', async () => {
    const { a } = await triangle();
    const [before] = await ringsForListing(a.id);
    const { sequelize } = context().db;
    expect(await rebuildRings(sequelize, { now: new Date('2030-01-01T00:00:00Z') })).to.equal(1);
    const [after] = await ringsForListing(a.id);
    expect(after!.id).to.equal(before!.id);
    expect(after!.createdAt.getTime()).to.equal(before!.createdAt.getTime());
    await sequelize.query('DELETE FROM match_rings');
    await rebuildRings(sequelize);
    expect((await ringsForListing(a.id)).map((r) => r.listingIds)).to.deep.equal([before!.listingIds]);
  });
});
