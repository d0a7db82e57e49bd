import { expect } from 'chai';
import { senderOf } from '../../server/mail/mailer';
import { context } from '../helpers/context';
import { createListing, createUser } from '../helpers/factories';
import { agent, signIn, submit } from '../helpers/http';

// The glossary (docs/glossary.md) as tenants meet it on the pages.
describe('words and formats per language', () => {
  it('calls the tenant a tenant, never the owner (Swedish and English)', async () => {
    const listing = await createListing();
    const sv = await agent().get(`/listings/${listing.id}`);
    expect(sv.text).to.contain('Logga in för att skriva till hyresgästen');
    expect(sv.text).to.not.match(/ägare/i);
    const en = await agent().get(`/listings/${listing.id}`).set('Accept-Language', 'en');
    expect(en.text).to.contain('Sign in to write to the tenant');
    expect(en.text).to.not.match(/\bowner\b/i);
  });

  it('numbers floors the Finnish way and shows the date as d.m.yyyy on the edit form (Finnish)', async () => {
    const user = await createUser({ locale: 'fi' });
    const listing = await createListing(user);
    await listing.update({ availableFrom: '2027-03-01' });
    const a = await signIn(user);
    const form = await a.get(`/listings/${listing.id}/edit`);
    expect(form.text).to.contain('katutaso on 1. kerros');
    expect(form.text).to.match(/name="available_from" type="text" value="1\.3\.2027"/);
    const saved = await submit(
      a,
      `/listings/${listing.id}`,
      {
        district: 'kallio',
        postal_code: '00530',
        rooms: '2',
        size_m2: '48',
        rent_eur: '780',
        available_from: '15.4.2027',
        wanted_districts: 'vallila',
      },
      `/listings/${listing.id}/edit`,
    );
    expect(saved.status).to.equal(303);
    await listing.reload();
    expect(listing.availableFrom).to.equal('2027-04-15');
  });

  it('names the company by its Finnish name on the Finnish privacy page', async () => {
    const res = await agent().get('/privacy').set('Accept-Language', 'fi');
    expect(res.text).to.contain('Helsingin kaupungin asunnot Oy');
    expect(res.text).to.not.contain('Helsingfors stads bostäder Ab');
  });

  it("sends Finnish mail from the board's Finnish name and Swedish mail from the Swedish one", async () => {
    await submit(
      agent(),
      '/register',
      {
        username: 'suomi_sanna',
        email: 'sanna@example.fi',
        phone: '',
        password: 'a long walk by the sea',
        password_confirm: 'a long walk by the sea',
      },
      '/register',
    ).catch(() => undefined);
    const a = agent();
    const token = /name="_csrf" value="([^"]+)"/.exec((await a.get('/register').set('Accept-Language', 'fi')).text)![1];
    await a.post('/register').set('Accept-Language', 'fi').type('form').send({
      _csrf: token,
      username: 'suomi_sanni',
      email: 'sanni@example.fi',
      password: 'a long walk by the sea',
      password_confirm: 'a long walk by the sea',
    });
    expect(context().mailer.last('sanni@example.fi')!.fromName).to.equal('Asunnonvaihtopörssi');
    expect(context().mailer.last('sanna@example.fi')!.fromName).to.equal('Bostadsbytesbörsen');
    expect(senderOf('Bostadsbytesbörsen <no-reply@board.example>', 'Asunnonvaihtopörssi')).to.deep.equal({
      name: 'Asunnonvaihtopörssi',
      address: 'no-reply@board.example',
    });
  });
});
