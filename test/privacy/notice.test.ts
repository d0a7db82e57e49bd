import { expect } from 'chai';
import { context } from '../helpers/context';
import { agent } from '../helpers/http';

// The privacy notice (docs/product.md#your-data-and-your-rights), in each language.

function lang(code: 'sv' | 'fi' | 'en') {
  return agent().get('/privacy').set('Accept-Language', code);
}

describe('GET /privacy', () => {
  it('states the controller, purpose, legal basis, what is collected, disclosure, retention and the contact in Swedish', async () => {
    const res = await lang('sv');
    expect(res.status).to.equal(200);
    const { org } = context().config;
    for (const text of [
      'Dataskyddsbeskrivning för Bostadsbytesbörsen',
      `${org.legalName} (${org.name}) är personuppgiftsansvarig`,
      'samtycke',
      'användarnamn',
      'e-postadress',
      'information om din senaste inloggning',
      'telefonnummer',
      'lämnar inte ut personuppgifter du gett på Bostadsbytesbörsen till utomstående',
      'utanför Europeiska unionen eller Europeiska ekonomiska samarbetsområdet',
      'Passiva användarnamn raderas automatiskt 3 månader efter den senaste inloggningen',
      'dataombudsmannen',
      `href="mailto:${org.privacyContact}"`,
    ]) {
      expect(res.text, text).to.contain(text);
    }
    expect(res.text).to.not.contain('noindex');
  });

  it('says how long backups keep data (BACKUP_RETENTION_DAYS), in all three languages', async () => {
    expect((await lang('sv')).text).to.contain('Säkerhetskopior av databasen sparas i högst 14 dagar');
    expect((await lang('fi')).text).to.contain('Tietokannan varmuuskopioita säilytetään enintään 14 päivää');
    expect((await lang('en')).text).to.contain('Backups of the database are kept for at most 14 days');
  });

  it('shows who sees what as a table with headers', async () => {
    const res = await lang('en');
    expect(res.text).to.contain('<caption id="who-caption">Who sees your data on the Housing Exchange Board</caption>');
    for (const header of ['You', 'Other signed-in tenants', 'Visitors who are not signed in', 'Moderators', 'Anyone outside']) {
      expect(res.text).to.contain(`<th scope="col">${header}</th>`);
    }
    const emailRow = /<th scope="row">E-mail address<\/th>\s*((?:<td>[^<]*<\/td>)+)/.exec(res.text);
    expect(emailRow, 'the e-mail row').to.not.equal(null);
    expect([...emailRow![1].matchAll(/<td>([^<]*)<\/td>/g)].map((m) => m[1])).to.deep.equal([
      'yes',
      'never',
      'never',
      'yes',
      'never',
    ]);
    expect(res.text).to.contain('only if you tick “show my phone number on my listing”');
  });

  it('links each right to the page that exercises it', async () => {
    const res = await lang('en');
    for (const link of [
      'href="/account/data"',
      'href="/account"',
      'href="/account/export"',
      'href="/account/data#data-delete"',
    ]) {
      expect(res.text).to.contain(link);
    }
  });

  it('is written in Finnish for Finnish visitors, with the same facts', async () => {
    const res = await lang('fi');
    expect(res.text).to.contain('Asunnonvaihtopörssin tietosuojaseloste');
    expect(res.text).to.contain('ei luovuta Asunnonvaihtopörssiin antamiasi henkilötietoja ulkopuolisille');
    expect(res.text).to.contain('3 kuukauden kuluttua viimeisestä kirjautumisesta');
    expect(res.text).to.contain('Euroopan talousalueen ulkopuolella');
  });

  it('has one h1 and headings in order', async () => {
    const res = await lang('sv');
    const levels = [...res.text.matchAll(/<h([1-6])[ >]/g)].map((m) => Number(m[1]));
    expect(levels.filter((l) => l === 1)).to.have.length(1);
    for (let i = 1; i < levels.length; i += 1) expect(levels[i] - levels[i - 1]).to.be.at.most(1);
  });
});
