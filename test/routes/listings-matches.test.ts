import { expect } from 'chai';
import { createListing, createUser } from '../helpers/factories';
import { agent, signIn } from '../helpers/http';

describe('GET /matches', () => {
  it('asks anonymous visitors to sign in', async () => {
    const res = await agent().get('/matches');
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/login?next=%2Fmatches');
  });

  it('invites a tenant without a listing to create one', async () => {
    const res = await (await signIn(await createUser())).get('/matches');
    expect(res.status).to.equal(200);
    expect(res.text).to.contain('Du har ingen annons ännu.');
    expect(res.text).to.contain('href="/listings/new"');
  });

  it('shows mutual matches with their fit, and who wants my home', async () => {
    const user = await createUser();
    await createListing(user, {
      district: 'kallio',
      wantedDistricts: ['vallila'],
      wantedRoomsMin: 2,
      wantedSizeMin: 50,
      wantedRentMax: 1000,
    });
    const partner = await createUser({ username: 'vallgard_vera' });
    const match = await createListing(partner, {
      district: 'vallila',
      rooms: 3,
      sizeM2: 60,
      rentEur: 900,
      hasLift: true,
      wantedDistricts: ['kallio'],
    });
    const admirer = await createListing(undefined, { district: 'eira', wantedDistricts: ['kallio'] });
    await createListing(undefined, { district: 'vallila', wantedDistricts: ['eira'] });

    const res = await (await signIn(user)).get('/matches');
    expect(res.status).to.equal(200);
    expect(res.headers['x-robots-tag']).to.contain('noindex');
    const [mutual, wants] = res.text.split('id="wants-title"');
    expect(mutual).to.contain('1 bostad passar båda vägarna');
    expect(mutual).to.contain(`href="/listings/${match.id}"`);
    // Every wish met leads; the headroom is shown as facts, the number explained where it first appears.
    expect(mutual).to.contain('Uppfyller alla dina önskemål – och din bostad uppfyller hens.');
    expect(mutual).to.match(/Utöver dina önskemål:\s*1 rum mer · \+10\sm² · 100\s€ under din högsta hyra · Hiss/);
    expect(mutual).to.contain('Marginal 78/100');
    expect(mutual).to.not.match(/\d+ %/);
    expect(res.text.indexOf('Marginalen (40–100)')).to.be.lessThan(res.text.indexOf('Marginal 78/100'));
    expect(mutual).to.contain('vallgard_vera');
    expect(mutual).to.not.contain(`href="/listings/${admirer.id}"`);
    expect(wants).to.contain('2 hyresgäster vill ha en bostad som din');
    expect(wants).to.contain(`href="/listings/${admirer.id}"`);
    expect(wants).to.contain(`href="/listings/${match.id}"`);
    expect(wants).to.contain('Din bostad uppfyller alla hens önskemål.');
  });

  it('says so when nothing fits, and notes when my own listing is not visible', async () => {
    const user = await createUser();
    await createListing(user, { status: 'paused' });
    const res = await (await signIn(user)).get('/matches');
    expect(res.text).to.contain('Inga ömsesidiga matchningar just nu.');
    expect(res.text).to.match(/href="\/listings\/\d+\/edit">Lägg till stadsdelar eller vidga dina önskemål/);
    expect(res.text).to.contain('Ingen annons söker en bostad som din just nu.');
    expect(res.text).to.contain('Din annons syns inte för andra just nu (Pausad)');
  });

  it('says in English that every wish is met and shows the headroom out of 100', async () => {
    const user = await createUser({ locale: 'en' });
    await createListing(user, { district: 'kallio', wantedDistricts: ['vallila'] });
    await createListing(undefined, { district: 'vallila', wantedDistricts: ['kallio'] });
    const res = await (await signIn(user)).get('/matches');
    expect(res.text).to.contain('Meets all your wishes');
    expect(res.text).to.match(/Headroom \d+\/100/);
    expect(res.text).to.contain('Vallila (Vallgård)');
  });
});
