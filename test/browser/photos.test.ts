import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { demoAltText, demoJpeg } from '../../jobs/seed-photos';
import type { Locale } from '../../models/user';
import {
  axeViolations,
  browserTestsWanted,
  describeViolations,
  foreignRequests,
  mainText,
  signInWithForm,
  startBrowserServer,
  submitForm,
  type BrowserServer,
} from './harness';
import { pdfBytes } from '../helpers/photo-fixtures';

// Photos in a real browser: a tenant uploads a photo on the listing form without
// JavaScript and on the photos page with it (preview, progress), everyone sees it on
// the listing page and as the cover in search, and the photo pages pass axe-core in
// Swedish, Finnish and English. The English listing page is photographed for the README.

describe('in a real browser: photos of the home', function () {
  this.timeout(600_000);
  let server: BrowserServer & { seedOutput: string };
  let demoPassword: string;
  let listingPath: string;

  before(async function () {
    browserTestsWanted(this);
    this.timeout(180_000);
    server = await startBrowserServer({ seedArgs: ['--tenants', '40', '--listings', '30', '--messages', '40', '--seed', '5'] });
    demoPassword = /password "([^"]+)"/.exec(server.seedOutput)![1]!;
  });

  after(async () => {
    await server?.close();
  });

  async function ownListingPath(page: Page): Promise<string> {
    await page.goto('/account');
    const href = await page.locator('main a[href^="/listings/"]').first().getAttribute('href');
    const m = /^\/listings\/\d+/.exec(href ?? '');
    if (!m) throw new Error(`no own listing on /account: ${await mainText(page)}`);
    return m[0];
  }

  /** Every image on the page has loaded (a photo the board could not serve has no width). */
  async function brokenImages(page: Page): Promise<string[]> {
    // A string, evaluated in the page: the test code itself has no DOM types.
    return page.evaluate(`[...document.querySelectorAll('main img')]
      .filter((i) => !i.complete || i.naturalWidth === 0).map((i) => i.getAttribute('src') || '')`);
  }

  it('uploads a photo with the listing form without JavaScript, and shows it', async () => {
    const context = await server.newContext({ javaScriptEnabled: false, locale: 'en' });
    const page = await signInWithForm(context, 'demo_bench', demoPassword);
    await page.goto('/language?lang=en&return=/');
    listingPath = await ownListingPath(page);
    await page.goto(`${listingPath}/edit`);
    await page.setInputFiles('[name=photo_1]', { name: 'living-room.jpg', mimeType: 'image/jpeg', buffer: await demoJpeg(0) });
    await page.fill('[name=photo_1_alt]', demoAltText(0));
    await submitForm(page, 'main form.listing-form button[type=submit]');
    expect(new URL(page.url()).pathname, await mainText(page)).to.equal(listingPath);
    const img = page.locator(`main img[alt="${demoAltText(0)}"]`);
    expect(await img.count()).to.equal(1);
    expect(await img.getAttribute('width')).to.match(/^\d+$/);
    expect(await img.getAttribute('height')).to.match(/^\d+$/);
    await page.locator(`main img[alt="${demoAltText(0)}"]`).scrollIntoViewIfNeeded();
    await page.waitForLoadState('networkidle');
    expect(await brokenImages(page)).to.deep.equal([]);

    // A file that is not a photo comes back with its message, the rest of the form kept.
    await page.goto(`${listingPath}/edit`);
    await page.fill('[name=description]', 'Kept while the photo is refused');
    await page.setInputFiles('[name=photo_1]', { name: 'scan.jpg', mimeType: 'image/jpeg', buffer: pdfBytes() });
    await page.fill('[name=photo_1_alt]', 'A scan');
    await submitForm(page, 'main form.listing-form button[type=submit]');
    expect(await page.locator('#field-photo_1-error').innerText()).to.include('not a JPEG, PNG, WebP or AVIF image');
    expect(await page.inputValue('[name=description]')).to.equal('Kept while the photo is refused');
    await context.close();
  });

  it('uploads photos on the photos page with JavaScript: a preview, then the photos', async () => {
    const context = await server.newContext({ locale: 'en' });
    const page = await signInWithForm(context, 'demo_bench', demoPassword);
    await page.goto('/language?lang=en&return=/');
    listingPath ??= await ownListingPath(page);
    await page.goto(`${listingPath}/photos`);
    const before = await page.locator('ol.photo-manage > li').count();
    // Only the first empty slot shows until a photo is chosen.
    expect(await page.locator('[data-photo-slot]:visible').count()).to.equal(1);
    await page.setInputFiles('[name=photo_1]', { name: 'kitchen.jpg', mimeType: 'image/jpeg', buffer: await demoJpeg(1) });
    await page.locator('[data-photo-preview] img').first().waitFor({ state: 'visible' });
    expect(await page.locator('[data-photo-slot]:visible').count(), 'the next slot appears').to.equal(2);
    await page.fill('[name=photo_1_alt]', demoAltText(1));
    await page.setInputFiles('[name=photo_2]', { name: 'balcony.jpg', mimeType: 'image/jpeg', buffer: await demoJpeg(3) });
    await page.fill('[name=photo_2_alt]', demoAltText(3));
    await page.locator('main form[data-photo-form] button[type=submit]').click();
    await page
      .locator('ol.photo-manage > li')
      .nth(before + 1)
      .waitFor();
    expect(new URL(page.url()).pathname).to.equal(`${listingPath}/photos`);
    expect(await page.locator('ol.photo-manage > li').count()).to.equal(before + 2);
    // Everyone sees them on the listing page, and the cover in search.
    const visitor = await (await server.newContext({ locale: 'en' })).newPage();
    await visitor.goto(listingPath);
    expect(await visitor.locator(`main img[alt="${demoAltText(1)}"]`).count()).to.equal(1);
    for (const img of await visitor.locator('main img').all()) await img.scrollIntoViewIfNeeded();
    await visitor.waitForLoadState('networkidle');
    expect(await brokenImages(visitor)).to.deep.equal([]);
    await visitor.goto('/listings?sort=newest');
    expect(await visitor.locator('main img.listing-cover').count(), 'covers on search cards').to.be.above(0);
    expect(foreignRequests(server)).to.deep.equal([]);
    await context.close();
  });

  for (const lang of ['sv', 'fi', 'en'] as Locale[]) {
    it(`passes axe on the photo pages in ${lang}`, async () => {
      const context = await server.newContext({ locale: lang });
      const page = await signInWithForm(context, 'demo_bench', demoPassword);
      await page.goto(`/language?lang=${lang}&return=/`);
      listingPath ??= await ownListingPath(page);
      const problems: string[] = [];
      const visits: [string, () => Promise<unknown>][] = [
        ['the listing with photos', () => page.goto(listingPath)],
        ['the photos page', () => page.goto(`${listingPath}/photos`)],
        ['the listing form with photo fields', () => page.goto(`${listingPath}/edit`)],
        [
          'a refused photo',
          async () => {
            await page.goto(`${listingPath}/photos`);
            await page.setInputFiles('[name=photo_1]', { name: 'x.jpg', mimeType: 'image/jpeg', buffer: pdfBytes() });
            await page.locator('main form[data-photo-form] button[type=submit]').click();
            await page.locator('#field-photo_1-error').waitFor();
          },
        ],
        ['search with covers', () => page.goto('/listings')],
      ];
      for (const [name, open] of visits) {
        await page.setViewportSize({ width: 1280, height: 900 });
        await open();
        const where = `${lang} ${name} (${new URL(page.url()).pathname})`;
        expect(await page.getAttribute('html', 'lang'), where).to.equal(lang);
        const violations = await axeViolations(page);
        if (violations.length > 0) problems.push(describeViolations(where, violations));
        await page.setViewportSize({ width: 360, height: 740 });
        const overflow = (await page.evaluate(
          'document.documentElement.scrollWidth - document.documentElement.clientWidth',
        )) as number;
        if (overflow > 0) problems.push(`${where}: ${overflow} px wider than a 360 px phone`);
        if (lang === 'en' && name === 'the listing with photos') {
          await page.setViewportSize({ width: 1280, height: 900 });
          fs.mkdirSync(server.screenshotsDir, { recursive: true });
          const height = Math.min(1500, (await page.evaluate('document.documentElement.scrollHeight')) as number);
          for (const img of await page.locator('main img').all()) await img.scrollIntoViewIfNeeded();
          await page.evaluate('window.scrollTo(0, 0)');
          await page.waitForLoadState('networkidle');
          await page.screenshot({
            path: path.join(server.screenshotsDir, 'listing-photos.png'),
            fullPage: true,
            clip: { x: 0, y: 0, width: 1280, height },
          });
        }
      }
      expect(problems, problems.join('\n')).to.deep.equal([]);
      await context.close();
    });
  }
});
