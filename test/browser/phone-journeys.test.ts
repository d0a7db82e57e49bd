import path from 'node:path';
import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import sqlite3 from 'sqlite3';
import { translator } from '../../server/i18n';
import {
  axeViolations,
  browserTestsWanted,
  describeViolations,
  fillAndSubmit,
  foreignRequests,
  lastMailTo,
  linkFrom,
  mainText,
  signInWithForm,
  startBrowserServer,
  submitForm,
  type BrowserServer,
} from './harness';

const PASSWORD = 'a tenant passphrase that is long';
const PHONE = 360;
const t = translator('fi');

// What a Finnish-speaking tenant on a 360 px phone and a moderator lived through, walked
// again after the fixes: every registration error in one round, a rent typed as the site
// prints it ("1 200 €"), a message written past the idle limit kept across signing in
// again, and the moderator's path from a report to hiding the listing.
describe('in a real browser: a Finnish tenant on a phone, and the moderator', function () {
  this.timeout(300_000);
  let server: BrowserServer;
  const contexts: BrowserContext[] = [];

  before(async function () {
    browserTestsWanted(this);
    this.timeout(180_000);
    server = await startBrowserServer({ seedArgs: ['--tenants', '60', '--listings', '45', '--messages', '20', '--seed', '11'] });
  });

  after(async () => {
    for (const c of contexts) await c.close();
    await server?.close();
  });

  async function phone(): Promise<BrowserContext> {
    const c = await server.newContext({ locale: 'fi-FI', width: PHONE });
    contexts.push(c);
    return c;
  }

  /** No WCAG 2.1 A/AA problem axe can find on the page as it is now. */
  async function accessible(page: Page): Promise<void> {
    const violations = await axeViolations(page);
    expect(violations, describeViolations(page.url(), violations)).to.deep.equal([]);
  }

  /** Ends every session the board holds, as 30 idle minutes would (the server reads the store on each request). */
  async function idleTimeout(): Promise<void> {
    // The last page's own write of the idle deadline happens after its response; let it land first.
    await new Promise((r) => setTimeout(r, 1500));
    const file = path.join(path.dirname(server.outboxDir), 'board.sqlite');
    await new Promise<void>((resolve, reject) => {
      const db = new sqlite3.Database(file);
      // Written the way Sequelize stores a date in SQLite ("2026-11-30 05:31:26.609 +00:00").
      const past = new Date(Date.now() - 60_000).toISOString().replace('T', ' ').replace('Z', ' +00:00');
      db.run('UPDATE sessions SET expires = ?', [past], (err) => {
        db.close();
        if (err) reject(err);
        else resolve();
      });
    });
  }

  async function registerAndVerify(page: Page, name: string): Promise<void> {
    await fillAndSubmit(page, '/register', {
      username: name,
      email: `${name}@example.fi`,
      password: PASSWORD,
      password_confirm: PASSWORD,
    });
    // The same answer whether or not the address was free: check your inbox, then sign in.
    expect(new URL(page.url()).pathname, await mainText(page)).to.equal('/login');
    await page.goto(linkFrom(lastMailTo(server.outboxDir, `${name}@example.fi`), '/verify-email'));
    expect(await mainText(page)).to.contain(t('auth:verify.done'));
    await fillAndSubmit(page, '/login', { username: name, password: PASSWORD });
    expect(new URL(page.url()).pathname, `${name} signed in`).to.not.match(/^\/login/);
  }

  let listingPath = '';

  it('registers with every error shown in one round, then publishes a listing with the rent typed as "1 200 €"', async () => {
    const page = await (await phone()).newPage();

    // Everything wrong at once: one submit lists every field, each message naming it.
    await fillAndSubmit(page, '/register', {
      username: 'maija k',
      email: 'maija.example.fi',
      password: 'lyhyt',
      password_confirm: '',
    });
    const summary = page.locator('.error-summary li');
    expect(await summary.count()).to.equal(3);
    const text = await mainText(page);
    expect(text).to.contain(t('errors:username.format'));
    expect(text).to.contain(t('errors:field.email'));
    expect(text).to.contain(t('errors:password.too_short'));
    expect(text).to.contain(t('auth:register.passwords_cleared'));
    expect(await page.inputValue('[name=username]')).to.equal('maija k');
    expect(await page.isChecked('#field-notify_messages')).to.equal(true);
    await accessible(page);

    // One correction round, and the account exists.
    await page.fill('[name=username]', 'maija_k');
    await page.fill('[name=email]', 'maija_k@example.fi');
    await page.fill('[name=password]', PASSWORD);
    await page.fill('[name=password_confirm]', PASSWORD);
    await submitForm(page);
    expect(new URL(page.url()).pathname, await mainText(page)).to.equal('/login');
    expect(await mainText(page)).to.contain(t('auth:register.done'));
    await page.goto(linkFrom(lastMailTo(server.outboxDir, 'maija_k@example.fi'), '/verify-email'));
    await fillAndSubmit(page, '/login', { username: 'maija_k', password: PASSWORD });
    expect(new URL(page.url()).pathname, 'maija_k signed in').to.not.match(/^\/login/);

    // The header stays compact on a phone.
    const header = await page.locator('header.site-header').boundingBox();
    expect(header!.height, 'header height').to.be.below(110);
    const overflow = (await page.evaluate(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    )) as number;
    expect(overflow, 'no sideways scrolling').to.equal(0);

    // The listing: "1 200 €", "48,5 m²", a Finnish date and a whole major district.
    await page.goto('/listings/new');
    await page.selectOption('[name=district]', 'kallio');
    await page.fill('[name=postal_code]', '00530');
    await page.fill('[name=rooms]', '2');
    await page.fill('[name=size_m2]', '48,5 m²');
    await page.fill('[name=rent_eur]', '1 200 €');
    await page.fill('[name=available_from]', '1.3.2027');
    await page.fill('[name=description]', 'Valoisa kaksio Hakaniemen torin lähellä.');
    await page.click('details.district-group:has(input[value="area:itainen"]) > summary');
    await page.check('input[name=wanted_districts][value="area:itainen"]');
    await accessible(page);
    await submitForm(page, 'main form.listing-form button[type=submit]');
    listingPath = new URL(page.url()).pathname;
    expect(listingPath, await mainText(page)).to.match(/^\/listings\/\d+$/);
    const shown = await mainText(page);
    expect(shown).to.contain(t('listings:flash.created'));
    expect(shown).to.match(/1\s200\s€/);
    expect(shown).to.contain('Vuosaari');
  });

  it('shows search results first on a phone, with the current page number readable', async () => {
    const page = await (await phone()).newPage();
    await page.goto('/listings?rent_max=1%20200%20%E2%82%AC');
    const results = await page.locator('#results-title').boundingBox();
    const filters = await page.locator('#filters-title').boundingBox();
    expect(results!.y).to.be.below(filters!.y);
    expect(results!.y, 'results start within the first screen').to.be.below(640);
    expect(await page.inputValue('#search-rent_max')).to.equal('1 200 €');
    // From a result, "back to the results" returns to this very search.
    const first = page.locator('.listing-card h3 a').first();
    await Promise.all([page.waitForURL('**/listings/*'), first.click()]);
    await Promise.all([page.waitForURL('**/listings?*'), page.click('a.back-to-results')]);
    expect(decodeURIComponent(new URL(page.url()).search).replace(/\+/g, ' ')).to.contain('rent_max=1 200 €');
    expect(await mainText(page)).to.match(/Käytetyt hakuehdot: vuokra enintään 1\s200\s€/);
    await accessible(page);

    await page.goto('/listings');
    const current = page.locator('.pagination [aria-current="page"]');
    expect(await current.count(), 'more than one page of results').to.equal(1);
    // A string, evaluated in the page: the test code itself has no DOM types.
    const colours = (await page.evaluate(`(() => {
      const box = document.querySelector('.pagination [aria-current="page"]');
      const number = box.querySelector('[aria-hidden="true"]');
      return { text: getComputedStyle(number).color, box: getComputedStyle(box).backgroundColor, inner: getComputedStyle(number).backgroundColor };
    })()`)) as { text: string; box: string; inner: string };
    expect(colours.inner, 'the number has no box of its own').to.equal('rgba(0, 0, 0, 0)');
    expect(colours.text).to.not.equal(colours.box);
  });

  it('keeps a message typed past the idle limit: sign in again and it is back in the form', async () => {
    const context = await phone();
    const page = await context.newPage();
    await registerAndVerify(page, 'kirjoittaja_kalle');
    await page.goto(listingPath);
    const message = 'Hei! Kiinnostaisiko vaihto Vuosaaren kolmioon? Kirjoitin tätä pitkään.';
    await page.fill('[name=body]', message);

    await idleTimeout();
    await submitForm(page, `form[action="${listingPath}/messages"] button`);
    expect(new URL(page.url()).pathname).to.equal('/login');
    expect(await mainText(page)).to.contain(t('auth:login.kept', { minutes: 30 }));
    await accessible(page);

    await page.fill('[name=username]', 'kirjoittaja_kalle');
    await page.fill('[name=password]', PASSWORD);
    await submitForm(page);
    expect(new URL(page.url()).pathname).to.equal(listingPath);
    expect(await page.inputValue('[name=body]')).to.equal(message);
    expect(await mainText(page)).to.contain(t('common:form.kept'));
    await submitForm(page, `form[action="${listingPath}/messages"] button`);
    expect(new URL(page.url()).pathname).to.match(/^\/messages\/\d+$/);
    const thread = await mainText(page);
    expect(thread).to.contain(message);
    expect(thread).to.contain(t('messages:reply.other_notified', { username: 'maija_k' }));
    await accessible(page);
  });

  it("takes a moderator from the tenant's report to hiding the listing, and tells its tenant", async () => {
    // Another tenant reports the listing for asking money.
    const reporter = await (await phone()).newPage();
    await registerAndVerify(reporter, 'ilmiantaja_iida');
    await reporter.goto(listingPath);
    await reporter.locator('select[name=reason]').selectOption('money');
    await reporter.fill('[name=details]', 'Pyytää 500 € avainrahaa.');
    await submitForm(reporter, `form[action="${listingPath}/report"] button`);
    expect(await mainText(reporter)).to.contain(t('listings:flash.reported'));

    // The moderator lands on /admin after the second factor and works from the report.
    const mod = await server.createModerator('moderaattori_mirja', 'mirja@example.fi');
    const modContext = await server.newContext({ locale: 'sv-FI' });
    contexts.push(modContext);
    const page = await signInWithForm(modContext, mod.username, mod.password, mod.secret);
    expect(new URL(page.url()).pathname).to.equal('/admin');
    await page.goto('/admin/reports');
    await Promise.all([page.waitForURL('**/admin/reports/*'), page.locator('main a[href^="/admin/reports/"]').first().click()]);
    const sv = translator('sv');
    expect(await mainText(page)).to.contain(sv('admin:report.write_in', { language: 'Suomi' }));
    await accessible(page);
    await page.fill('form[action$="/hide"] [name=reason]', 'Ilmoituksessa pyydetään rahaa vaihdosta.');
    await submitForm(page, 'form[action$="/hide"] button[type=submit]');
    expect(new URL(page.url()).pathname).to.equal('/admin/reports');
    expect(await mainText(page)).to.contain(sv('admin:reports.empty'));

    // The audit log names the listing in the page's language and links to it.
    await page.goto('/admin/audit');
    const listingId = listingPath.split('/').pop();
    expect(await page.locator(`a[href="/admin/listings/${listingId}"]`).first().innerText()).to.equal(`annons #${listingId}`);
    await accessible(page);

    // The listing's tenant gets a Finnish e-mail from the board's Finnish name.
    const mail = lastMailTo(server.outboxDir, 'maija_k@example.fi');
    expect(mail).to.contain('Moderaattorit ovat piilottaneet asuntoilmoituksesi');
    expect(mail).to.not.contain('avainrahaa');
    expect(foreignRequests(server)).to.deep.equal([]);
  });
});
