import path from 'node:path';
import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import { LOCALES, translator } from '../../server/i18n';
import {
  axeViolations,
  browserTestsWanted,
  describeViolations,
  fillAndSubmit,
  foreignRequests,
  lastMailTo,
  linkFrom,
  mainText,
  startBrowserServer,
  submitForm,
  type BrowserServer,
} from './harness';

const PASSWORD = 'a tenant passphrase that is long';

// A three-way swap from suggestion to "we have swapped", in Finnish, in a real browser:
// three tenants publish homes that fit in a ring (Kallio → Vallila → Sörnäinen →
// Kallio), each sees the ring on /matches, one hides it and brings it back, all three
// say "Kiinnostaa", talk in their shared conversation, agree, read the summary for the
// landlord, and one says "Olemme vaihtaneet". Every new page is checked with axe in
// Finnish, Swedish and English, and the ring is photographed for the README.

describe('in a real browser: a three-way swap, from suggestion to "we have swapped"', function () {
  this.timeout(300_000);
  let server: BrowserServer;
  const contexts: BrowserContext[] = [];

  before(async function () {
    browserTestsWanted(this);
    server = await startBrowserServer();
  });

  after(async () => {
    for (const c of contexts) await c.close();
    await server?.close();
  });

  async function tenant(
    name: string,
    home: { district: string; postalCode: string; wants: string; rooms: string; size: string; rent: string },
  ): Promise<Page> {
    const context = await server.newContext({ locale: 'fi-FI' });
    contexts.push(context);
    const page = await context.newPage();
    await fillAndSubmit(page, '/register', {
      username: name,
      email: `${name}@example.fi`,
      password: PASSWORD,
      password_confirm: PASSWORD,
    });
    await page.goto(linkFrom(lastMailTo(server.outboxDir, `${name}@example.fi`), '/verify-email'));
    await fillAndSubmit(page, '/login', { username: name, password: PASSWORD });
    await page.goto('/listings/new');
    await page.selectOption('[name=district]', home.district);
    await page.fill('[name=postal_code]', home.postalCode);
    await page.fill('[name=rooms]', home.rooms);
    await page.fill('[name=size_m2]', home.size);
    await page.fill('[name=rent_eur]', home.rent);
    await page.fill('[name=description]', `Valoisa koti, ${name}.`);
    await page.click(`details.district-group:has(input[value=${home.wants}]) > summary`);
    await page.check(`input[name=wanted_districts][value=${home.wants}]`);
    await submitForm(page);
    expect(new URL(page.url()).pathname, await mainText(page)).to.match(/^\/listings\/\d+$/);
    return page;
  }

  async function expectNoAxeViolations(page: Page, what: string): Promise<void> {
    const violations = await axeViolations(page);
    expect(violations, describeViolations(`${what} (${await page.getAttribute('html', 'lang')})`, violations)).to.deep.equal([]);
  }

  it('works end to end in Finnish, and its pages pass axe in all three languages', async () => {
    const t = translator('fi');
    const a = await tenant('kolmikko_aino', {
      district: 'kallio',
      postalCode: '00530',
      wants: 'vallila',
      rooms: '2',
      size: '48',
      rent: '780',
    });
    const b = await tenant('kolmikko_bertta', {
      district: 'vallila',
      postalCode: '00510',
      wants: 'sornainen',
      rooms: '3',
      size: '66',
      rent: '950',
    });
    const c = await tenant('kolmikko_cecilia', {
      district: 'sornainen',
      postalCode: '00580',
      wants: 'kallio',
      rooms: '1',
      size: '35',
      rent: '620',
    });

    // Each sees the ring on /matches, with all three homes.
    for (const page of [a, b, c]) {
      await page.goto('/matches');
      const text = await mainText(page);
      expect(text).to.contain(t('swaps:rings.title'));
      expect(text).to.contain(t('swaps:rings.count', { count: 1 }));
      expect(await page.locator('li.ring .listing-card').count()).to.equal(3);
    }
    await expectNoAxeViolations(a, '/matches with a three-way swap');

    // Aino and Bertta are interested; the count says so, without names.
    for (const page of [a, b]) await submitForm(page, 'li.ring button[name=interest][value=yes]');
    await c.goto('/matches');
    expect(await mainText(c)).to.contain(t('swaps:marks.yes_count', { count: 2, parties: 3 }));

    // Cecilia first hides it, finds it under hidden suggestions and brings it back.
    await submitForm(c, 'li.ring button[name=interest][value=no]');
    expect(await mainText(c)).to.contain(t('swaps:rings.none'));
    await c.goto('/matches/hidden');
    expect(await mainText(c)).to.contain(t('swaps:hidden.ring'));
    await expectNoAxeViolations(c, '/matches/hidden');
    await submitForm(c, 'form[action="/swaps/marks/undo"] button');
    await c.goto('/matches');
    // Her "yes" is the third: the three get their shared conversation.
    await submitForm(c, 'li.ring button[name=interest][value=yes]');
    const conversationPath = new URL(c.url()).pathname;
    expect(conversationPath).to.match(/^\/messages\/\d+$/);
    expect(await mainText(c)).to.contain(t('swaps:flash.ring_conversation'));
    await c.fill('[name=body]', 'Hei molemmat! Sopisiko näyttö lauantaina?');
    await submitForm(c, `form[action="${conversationPath}"] button`);
    for (const page of [a, b]) {
      await page.goto('/matches');
      await Promise.all([page.waitForURL(`**${conversationPath}`), page.click(`li.ring a[href="${conversationPath}"]`)]);
      const text = await mainText(page);
      expect(text).to.contain('Sopisiko näyttö lauantaina?');
      expect(text).to.contain('kolmikko_cecilia');
    }
    await expectNoAxeViolations(a, 'the three-way conversation');

    // Each says "Olemme sopineet vaihdosta"; then the summary for the landlord opens.
    for (const page of [a, b, c]) {
      await page.goto(conversationPath);
      await submitForm(page, `form[action="${conversationPath}/agree"] button`);
    }
    await a.goto(conversationPath);
    expect(await mainText(a)).to.contain(t('swaps:panel.all_agreed'));
    await Promise.all([a.waitForURL(`**${conversationPath}/summary`), a.click(`a[href="${conversationPath}/summary"]`)]);
    const summary = await mainText(a);
    for (const name of ['kolmikko_aino', 'kolmikko_bertta', 'kolmikko_cecilia', 'Kallio', 'Vallila', 'Sörnäinen', '00580']) {
      expect(summary).to.contain(name);
    }
    expect(summary).to.contain(t('swaps:summary.landlord_note'));
    expect(summary).to.not.contain('Valoisa koti'); // descriptions are not for the landlord
    await expectNoAxeViolations(a, 'the swap summary');

    // "Olemme vaihtaneet": Aino's listing closes and she is offered to delete her account.
    await a.goto(conversationPath);
    await submitForm(a, `form[action="${conversationPath}/swapped"] button`);
    expect(new URL(a.url()).pathname).to.equal('/swaps/done');
    expect(await mainText(a)).to.contain(t('swaps:done.closed'));
    expect(await a.locator('main a[href="/account/delete"]').count()).to.equal(1);
    await expectNoAxeViolations(a, '/swaps/done');
    await b.goto('/matches');
    expect(await mainText(b)).to.contain(t('swaps:rings.none'));

    // The same pages in Swedish and English (the conversation and summary stay open to
    // Bertta and Cecilia; the ring is gone, so /matches is checked with its empty state).
    for (const lang of LOCALES.filter((l) => l !== 'fi')) {
      await b.goto(`/language?lang=${lang}&return=/`);
      for (const url of ['/matches', '/matches/hidden', conversationPath, `${conversationPath}/summary`, '/swaps/done']) {
        await b.goto(url);
        expect(await b.getAttribute('html', 'lang')).to.equal(lang);
        await expectNoAxeViolations(b, url);
      }
    }
    expect(foreignRequests(server)).to.deep.equal([]);
  });

  it('shows a ring with its marks in Swedish and English with no axe violations, and photographs it', async () => {
    await tenant('ring_dora', { district: 'kallio', postalCode: '00530', wants: 'vallila', rooms: '2', size: '52', rent: '820' });
    await tenant('ring_emil', {
      district: 'vallila',
      postalCode: '00550',
      wants: 'sornainen',
      rooms: '2',
      size: '60',
      rent: '900',
    });
    const f = await tenant('ring_frida', {
      district: 'sornainen',
      postalCode: '00540',
      wants: 'kallio',
      rooms: '1',
      size: '38',
      rent: '640',
    });
    await f.goto('/matches');
    await submitForm(f, 'li.ring button[name=interest][value=yes]');
    for (const lang of ['sv', 'en'] as const) {
      await f.goto(`/language?lang=${lang}&return=/matches`);
      await f.goto('/matches');
      expect(await f.locator('li.ring').count()).to.be.greaterThan(0);
      await expectNoAxeViolations(f, `/matches with a ring (${lang})`);
    }
    await f.locator('section.rings').screenshot({ path: path.join(server.screenshotsDir, 'three-way-swap.png') });
  });
});
