import { expect } from 'chai';
import type { Listing } from '../../models/listing';
import { context } from '../helpers/context';
import { createListing, type ListingOptions } from '../helpers/factories';

// Mutual matching (docs/product.md#matching-and-headroom): their flat must meet my wishes
// AND my flat must meet theirs. Scores follow the formula in server/services/fit.ts.

const service = () => context().board.services.listings;

async function reload(listing: Listing): Promise<Listing> {
  return (await service().findById(listing.id))!;
}

/** My listing: a 2-room, 48 m², 780 € flat in Kallio without extras, wanting Vallila. */
async function me(opts: ListingOptions = {}): Promise<Listing> {
  return reload(
    await createListing(undefined, {
      district: 'kallio',
      rooms: 2,
      sizeM2: 48,
      rentEur: 780,
      wantedDistricts: ['vallila'],
      ...opts,
    }),
  );
}

/** Another tenant's listing: by default a flat in Vallila whose owner wants Kallio. */
async function them(opts: ListingOptions = {}): Promise<Listing> {
  return createListing(undefined, {
    district: 'vallila',
    rooms: 2,
    sizeM2: 48,
    rentEur: 780,
    wantedDistricts: ['kallio'],
    ...opts,
  });
}

async function matchIds(mine: Listing): Promise<number[]> {
  return (await service().matches(mine)).items.map((m) => m.listing.id);
}
async function wantsIds(mine: Listing): Promise<number[]> {
  return (await service().wantsMine(mine)).items.map((m) => m.listing.id);
}

describe('matching', () => {
  it('finds a listing that fits both ways, in both lists', async () => {
    const mine = await me();
    const other = await them();
    expect(await matchIds(mine)).to.deep.equal([other.id]);
    const wants = await service().wantsMine(mine);
    expect(wants.items.map((m) => m.listing.id)).to.deep.equal([other.id]);
    expect(wants.items[0].mutual).to.equal(true);
  });

  it('leaves out a listing whose flat fits me but who does not want my district', async () => {
    const mine = await me();
    await them({ wantedDistricts: ['eira'] });
    expect(await matchIds(mine)).to.deep.equal([]);
    expect(await wantsIds(mine)).to.deep.equal([]);
  });

  it('lists one who wants my home but whose flat does not fit me only under "who wants my home"', async () => {
    const mine = await me();
    const other = await them({ district: 'eira' });
    expect(await matchIds(mine)).to.deep.equal([]);
    const wants = await service().wantsMine(mine);
    expect(wants.items.map((m) => m.listing.id)).to.deep.equal([other.id]);
    expect(wants.items[0].mutual).to.equal(false);
    expect(wants.items[0].fitsMe).to.equal(null);
  });

  it('finds nothing when neither fits', async () => {
    const mine = await me();
    await them({ district: 'eira', wantedDistricts: ['toolo'] });
    expect(await matchIds(mine)).to.deep.equal([]);
    expect(await wantsIds(mine)).to.deep.equal([]);
  });

  it('checks rooms, size and rent in both directions, with the limits inclusive', async () => {
    const mine = await me({ wantedRoomsMin: 3, wantedSizeMin: 60, wantedRentMax: 900 });
    const exact = await them({ rooms: 3, sizeM2: 60, rentEur: 900, wantedRoomsMin: 2, wantedSizeMin: 48, wantedRentMax: 780 });
    await them({ rooms: 2, sizeM2: 70, rentEur: 800 }); // too few rooms for me
    await them({ rooms: 3, sizeM2: 59, rentEur: 800 }); // too small for me
    await them({ rooms: 3, sizeM2: 70, rentEur: 901 }); // too dear for me
    await them({ rooms: 3, sizeM2: 70, rentEur: 800, wantedRoomsMin: 3 }); // my flat has too few rooms for them
    await them({ rooms: 3, sizeM2: 70, rentEur: 800, wantedSizeMin: 49 }); // my flat is too small for them
    await them({ rooms: 3, sizeM2: 70, rentEur: 800, wantedRentMax: 779 }); // my flat is too dear for them
    expect(await matchIds(mine)).to.deep.equal([exact.id]);
  });

  it('requires the features each side asks for', async () => {
    const mine = await me({ wantedSauna: true, hasLift: true });
    const withSauna = await them({ hasSauna: true });
    await them({ hasSauna: false });
    const wantsLift = await them({ hasSauna: true, wantedLift: true });
    await them({ hasSauna: true, wantedBalcony: true }); // my flat has no balcony
    expect((await matchIds(mine)).sort()).to.deep.equal([withSauna.id, wantsLift.id].sort());
  });

  it('treats empty wishes as no requirement', async () => {
    const mine = await me({ wantedRoomsMin: null, wantedSizeMin: null, wantedRentMax: null });
    const huge = await them({
      rooms: 8,
      sizeM2: 300,
      rentEur: 10_000,
      wantedRoomsMin: null,
      wantedSizeMin: null,
      wantedRentMax: null,
    });
    expect(await matchIds(mine)).to.deep.equal([huge.id]);
  });

  it('matches on any of several wanted districts, without duplicates', async () => {
    const mine = await me({ wantedDistricts: ['vallila', 'eira', 'toolo'] });
    const a = await them({ district: 'eira', wantedDistricts: ['kallio', 'kamppi', 'sornainen'] });
    const b = await them({ district: 'toolo', wantedDistricts: ['kallio'] });
    const result = await service().matches(mine);
    expect(result.total).to.equal(2);
    expect(result.items.map((m) => m.listing.id).sort()).to.deep.equal([a.id, b.id].sort());
  });

  it('leaves out my own listing and listings that are not active', async () => {
    const mine = await me({ wantedDistricts: ['vallila', 'kallio'] });
    for (const status of ['paused', 'hidden', 'removed'] as const) await them({ status });
    expect(await matchIds(mine)).to.deep.equal([]);
    expect(await wantsIds(mine)).to.deep.equal([]);
  });

  it('scores by the documented formula', async () => {
    const mine = await me({ wantedRoomsMin: 2, wantedSizeMin: 50, wantedRentMax: 1000 });
    await them({ rooms: 3, sizeM2: 60, rentEur: 900, hasLift: true });
    const [m] = (await service().matches(mine)).items;
    // Their flat for my wishes: 40 + 8 (1 extra room) + 8 (10 extra m²) + 6 (100 € headroom) + 3 (a lift) = 65.
    expect(m.fitsMe).to.equal(65);
    // My flat for their wishes (none): 40 + 16 + 16 + 18 + 0 (no extras) = 90.
    expect(m.fitsThem).to.equal(90);
    expect(m.score).to.equal(78);
  });

  it('puts the best fit first, then the newest', async () => {
    const mine = await me({ wantedRoomsMin: 2, wantedSizeMin: 40, wantedRentMax: 1000 });
    const exact = await them({ rooms: 2, sizeM2: 40, rentEur: 1000, createdAt: new Date('2026-11-01T00:00:00Z') });
    const roomy = await them({
      rooms: 4,
      sizeM2: 70,
      rentEur: 700,
      hasBalcony: true,
      hasSauna: true,
      hasLift: true,
      createdAt: new Date('2026-10-01T00:00:00Z'),
    });
    const middle = await them({ rooms: 3, sizeM2: 50, rentEur: 900, createdAt: new Date('2026-09-01T00:00:00Z') });
    const middleTwin = await them({ rooms: 3, sizeM2: 50, rentEur: 900, createdAt: new Date('2026-09-02T00:00:00Z') });
    const result = await service().matches(mine);
    expect(result.items.map((m) => m.listing.id)).to.deep.equal([roomy.id, middleTwin.id, middle.id, exact.id]);
    expect(result.items[0].fitsMe).to.equal(100);
    const scores = result.items.map((m) => m.score);
    expect(scores).to.deep.equal([...scores].sort((a, b) => b - a));
    for (const s of scores) expect(s).to.be.within(0, 100);
  });

  it('orders "who wants my home" by how well my flat fits their wishes', async () => {
    const mine = await me({ rooms: 3, sizeM2: 70, rentEur: 700 });
    const tight = await them({ wantedRoomsMin: 3, wantedSizeMin: 70, wantedRentMax: 700 });
    const loose = await them({ wantedRoomsMin: 1, wantedSizeMin: 30, wantedRentMax: 1200 });
    const result = await service().wantsMine(mine);
    expect(result.items.map((m) => m.listing.id)).to.deep.equal([loose.id, tight.id]);
    expect(result.items[1].score).to.equal(40);
    expect(result.items[0].score).to.equal(90);
  });

  it('caps the list but counts every match', async () => {
    const mine = await me();
    for (let i = 0; i < 5; i += 1) await them();
    const result = await service().matches(mine, 3);
    expect(result.total).to.equal(5);
    expect(result.items).to.have.length(3);
  });

  it('finds nothing for a listing without wanted districts, and does not fail', async () => {
    const mine = await me({ wantedDistricts: [] });
    await them();
    expect(await matchIds(mine)).to.deep.equal([]);
    expect((await service().wantsMine(mine)).items[0].mutual).to.equal(false);
  });
});
