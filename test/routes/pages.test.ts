import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import { createApp } from '../../server/app';
import { context, testConfig } from '../helpers/context';
import { createListing, createUser } from '../helpers/factories';
import { agent, signIn, submit } from '../helpers/http';

describe('GET /before-you-swap', () => {
  it('says who may swap, that the landlord must approve and that asking for money is forbidden (Finnish and Swedish)', async () => {
    const fi = await agent().get('/before-you-swap').set('Accept-Language', 'fi');
    expect(fi.status).to.equal(200);
    expect(fi.text).to.contain('<h1>Ennen kuin vaihdat</h1>');
    expect(fi.text).to.contain('Hakekaa vaihtoa vuokranantajalta.');
    expect(fi.text).to.contain('Rahaa ei saa pyytää.');
    const sv = await agent().get('/before-you-swap');
    expect(sv.text).to.contain('Ansök om bytet hos hyresvärden.');
    expect(sv.text).to.contain('Det är förbjudet att be om pengar.');
  });

  it('is linked from the home page, the listing form, the contact form and a new conversation', async () => {
    expect((await agent().get('/')).text).to.contain('href="/before-you-swap"');
    const writer = await createUser();
    const w = await signIn(writer);
    expect((await w.get('/listings/new')).text).to.contain('href="/before-you-swap"');
    const listing = await createListing(await createUser());
    expect((await w.get(`/listings/${listing.id}`)).text).to.contain('href="/before-you-swap"');
    const sent = await submit(w, `/listings/${listing.id}/messages`, { body: 'Hej!' }, `/listings/${listing.id}`);
    expect((await w.get(sent.headers.location)).text).to.contain('href="/before-you-swap"');
  });

  it("shows the operator's own text and links from SWAP_GUIDE_FILE in the page's language", async () => {
    const { tmpDir, deps } = context();
    const file = path.join(tmpDir, 'swap-guide.json');
    const lang = (w: string) => ({
      paragraphs: [`${w} paragraph`],
      links: [{ text: `${w} application form`, href: 'https://landlord.example/swap' }],
    });
    fs.writeFileSync(file, JSON.stringify({ sv: lang('Swedish'), fi: lang('Finnish'), en: lang('English') }));
    const board = createApp({ ...deps, config: testConfig(tmpDir, { SWAP_GUIDE_FILE: file }) });
    try {
      const res = await request(board.app).get('/before-you-swap').set('Accept-Language', 'fi');
      expect(res.text).to.contain('Finnish paragraph');
      expect(res.text).to.contain('<a href="https://landlord.example/swap">Finnish application form</a>');
      expect(res.text).to.not.contain('Hakekaa vaihtoa vuokranantajalta.');
    } finally {
      board.close();
    }
  });
});

describe('GET / for a signed-in tenant', () => {
  it("shows their own start page: the listing's state, the swaps that fit both ways and unread messages (Finnish)", async () => {
    const user = await createUser({ locale: 'fi' });
    await createListing(user, { district: 'kallio', wantedDistricts: ['vallila'] });
    await createListing(undefined, { district: 'vallila', wantedDistricts: ['kallio'] });
    const page = await (await signIn(user)).get('/');
    expect(page.status).to.equal(200);
    expect(page.text).to.contain('<h1>Oma etusivu</h1>');
    expect(page.text).to.contain('Aktiivinen');
    expect(page.text).to.contain('1 asunto sopii molempiin suuntiin.');
    expect(page.text).to.contain('0 lukematonta viestiä.');
    expect(page.text).to.contain('href="/matches"');
  });

  it('invites a tenant without a listing to create one, and keeps the front page for visitors', async () => {
    const page = await (await signIn(await createUser())).get('/');
    expect(page.text).to.contain('Du har ingen annons ännu.');
    expect(page.text).to.contain('href="/listings/new"');
    expect((await agent().get('/')).text).to.not.contain('Din startsida');
  });
});
