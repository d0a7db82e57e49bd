import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import { LOCALES, type Locale } from '../../server/i18n';
import { alertUnsubscribeQuery } from '../../server/services/alerts';
import {
  axeViolations,
  browserTestsWanted,
  describeViolations,
  fillAndSubmit,
  foreignRequests,
  signInWithForm,
  startBrowserServer,
  submitForm,
  type BrowserServer,
} from './harness';

// Every page type, as a visitor, a tenant and a moderator, in all three languages:
// axe-core finds no WCAG 2.1 A/AA violation, <html lang> is right, nothing is fetched
// from another host, and a 360 px wide phone needs no horizontal scrolling. The main
// pages are photographed for the README on the way (docs/screenshots).

interface PageVisit {
  /** What the page is, for failure messages. */
  name: string;
  /** Loads the page (a plain visit, or a form sent with errors). */
  open: (page: Page) => Promise<unknown>;
  /** Photographed for the README, in English. */
  screenshot?: string;
}

const visit = (name: string, url: string, screenshot?: string): PageVisit => ({ name, open: (p) => p.goto(url), screenshot });

/** Pages checked at once, each in a tab of its own. */
const TABS = 3;

describe('in a real browser: every page in every language', function () {
  this.timeout(600_000);
  let server: BrowserServer & { seedOutput: string };
  let demoPassword: string;
  let moderatorSecret: string;
  let moderatorPassword: string;

  before(async function () {
    browserTestsWanted(this);
    this.timeout(180_000);
    server = await startBrowserServer({
      seedArgs: ['--tenants', '120', '--listings', '90', '--messages', '300', '--bench-conversations', '12', '--seed', '7'],
    });
    demoPassword = /password "([^"]+)"/.exec(server.seedOutput)![1];
    moderatorSecret = /secret=([A-Z2-7]+)/.exec(server.seedOutput)![1];
    // The seed gives the demo moderator a random password of its own on every run.
    moderatorPassword = /random password \(shown only now\): (\S+)/.exec(server.seedOutput)![1];
    // demo_bench opens up their wishes (every district, no minimums), as a tenant keen
    // to move would, so the matches page has swaps that fit both ways to show.
    const context = await server.newContext();
    const page = await signInWithForm(context, 'demo_bench', demoPassword);
    await page.goto('/listings/new');
    // The districts are folded by major district; every group is opened to tick all of them.
    for (const group of await page.locator('details.district-group').all()) {
      if ((await group.getAttribute('open')) === null) await group.locator('summary').click();
    }
    for (const box of await page.locator('input[name=wanted_districts]').all()) await box.check();
    for (const field of ['wanted_rooms_min', 'wanted_size_min', 'wanted_rent_max']) await page.fill(`[name=${field}]`, '');
    for (const box of ['wanted_lift', 'wanted_balcony', 'wanted_sauna']) await page.uncheck(`[name=${box}]`);
    await submitForm(page, 'main form.listing-form button[type=submit]');
    expect(new URL(page.url()).pathname).to.match(/^\/listings\/\d+$/);
    await context.close();
  });

  after(async () => {
    await server?.close();
  });

  async function switchLanguage(page: Page, lang: Locale): Promise<void> {
    await page.goto(`/language?lang=${lang}&return=/`);
  }

  /** The first link on a page whose path matches, as a path. */
  async function firstLink(page: Page, url: string, pattern: RegExp, except?: string): Promise<string> {
    await page.goto(url);
    const hrefs = await page.locator('main a[href]').evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''));
    const found = hrefs.find((h) => pattern.test(h) && h !== except);
    if (!found) throw new Error(`no link like ${pattern} on ${url}`);
    return found;
  }

  /**
   * Checks the pages in TABS tabs of the page's context at once (they share its cookies,
   * so its sign-in and language): while one tab waits for the server, another runs axe.
   */
  async function check(page: Page, lang: Locale, visits: PageVisit[], role: string): Promise<string[]> {
    const extra = await Promise.all(Array.from({ length: TABS - 1 }, () => page.context().newPage()));
    const problems: string[] = [];
    let next = 0;
    await Promise.all(
      [page, ...extra].map(async (tab) => {
        for (let i = next++; i < visits.length; i = next++) problems.push(...(await checkOne(tab, lang, visits[i], role)));
      }),
    );
    await Promise.all(extra.map((tab) => tab.close()));
    return problems;
  }

  async function checkOne(page: Page, lang: Locale, v: PageVisit, role: string): Promise<string[]> {
    const problems: string[] = [];
    await page.setViewportSize({ width: 1280, height: 900 });
    const response = await v.open(page);
    const status = (response as { status?: () => number } | null)?.status?.() ?? 200;
    const where = `${role}/${lang} ${v.name} (${new URL(page.url()).pathname})`;
    if (status >= 500) problems.push(`${where}: status ${status}`);
    const htmlLang = await page.getAttribute('html', 'lang');
    if (htmlLang !== lang) problems.push(`${where}: <html lang="${htmlLang}">`);
    const violations = await axeViolations(page);
    if (violations.length > 0) problems.push(describeViolations(where, violations));
    if (v.screenshot && lang === 'en') {
      fs.mkdirSync(server.screenshotsDir, { recursive: true });
      // The top of the page, down to where the content starts to repeat.
      const height = Math.min(1400, (await page.evaluate('document.documentElement.scrollHeight')) as number);
      await page.screenshot({
        path: path.join(server.screenshotsDir, `${v.screenshot}.png`),
        fullPage: true,
        clip: { x: 0, y: 0, width: 1280, height },
      });
    }
    await page.setViewportSize({ width: 360, height: 740 });
    const overflow = (await page.evaluate(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    )) as number;
    if (overflow > 0) problems.push(`${where}: ${overflow} px wider than a 360 px phone`);
    if (v.screenshot === 'search' && lang === 'en') {
      await page.screenshot({ path: path.join(server.screenshotsDir, 'search-phone.png') });
    }
    return problems;
  }

  const visitorPages = (listingPath: string): PageVisit[] => [
    visit('home', '/'),
    visit('search', '/listings'),
    visit('search with filters and sort', '/listings?district=kallio&district=vallila&rooms_min=1&sort=rent&page=1'),
    visit('a listing', listingPath),
    visit('sign-in', '/login'),
    {
      name: 'sign-in refused',
      open: (p) => fillAndSubmit(p, '/login', { username: 'nobody_here', password: 'not the right password' }),
    },
    visit('registration', '/register'),
    {
      name: 'registration with errors',
      open: (p) =>
        fillAndSubmit(p, '/register', {
          username: 'x',
          email: 'not-an-address',
          password: 'short',
          password_confirm: 'different',
        }),
    },
    visit('forgot password', '/forgot-password'),
    visit('reset link that is not valid', '/reset-password?token=not-a-real-token'),
    visit('a conversation, signed out', '/messages/1'),
    visit('privacy notice', '/privacy'),
    visit('accessibility statement', '/accessibility'),
    visit('page not found', '/no-such-page'),
    visit('alert unsubscribe link that is not valid', '/alerts/unsubscribe?u=1&e=1&sig=x'),
    visit(
      'alert unsubscribe link, asking first',
      `/alerts/unsubscribe?${alertUnsubscribeQuery(
        fs.readFileSync(path.join(path.dirname(server.outboxDir), 'session-secret'), 'utf8').trim(),
        1,
        new Date(),
      )}`,
    ),
  ];

  for (const lang of LOCALES) {
    it(`passes as a visitor in ${lang}`, async () => {
      const context = await server.newContext();
      const page = await context.newPage();
      await switchLanguage(page, lang);
      const listingPath = await firstLink(page, '/listings', /^\/listings\/\d+$/);
      const problems = await check(page, lang, visitorPages(listingPath), 'visitor');
      await context.close();
      expect(problems).to.deep.equal([]);
      expect(foreignRequests(server)).to.deep.equal([]);
    });
  }

  for (const lang of LOCALES) {
    it(`passes as a tenant in ${lang}`, async () => {
      const context = await server.newContext();
      const page = await signInWithForm(context, 'demo_bench', demoPassword);
      await switchLanguage(page, lang);
      await page.goto('/listings/new'); // a tenant with a listing is sent to its edit page
      const ownEdit = new URL(page.url()).pathname;
      expect(ownEdit).to.match(/^\/listings\/\d+\/edit$/);
      const ownPath = ownEdit.replace(/\/edit$/, '');
      const otherPath = await firstLink(page, '/listings', /^\/listings\/\d+$/, ownPath);
      const conversationPath = await firstLink(page, '/messages', /^\/messages\/\d+$/);
      const problems = await check(
        page,
        lang,
        [
          visit('home', '/'),
          visit('search', '/listings?rooms_min=1&sort=size', 'search'),
          visit('my listing', ownPath),
          visit('another tenant’s listing, with the contact form', otherPath, 'listing'),
          visit('editing my listing', ownEdit),
          {
            name: 'my listing with errors',
            open: (p) =>
              fillAndSubmit(p, ownEdit, { rent_eur: 'a lot', postal_code: '123' }, 'main form.listing-form button[type=submit]'),
          },
          visit('matches', '/matches', 'matches'),
          visit('favourites', '/favourites'),
          visit('inbox', '/messages', 'inbox'),
          visit('a conversation', conversationPath, 'conversation'),
          visit('account', '/account', 'account'),
          visit('saving a search', '/listings/save-search?district=kallio&rooms_min=2&balcony=1'),
          visit('saving a search whose filter cannot be read', '/listings/save-search?district=kallio&rent_max=plenty'),
          visit('my data', '/account/data'),
          visit('privacy notice', '/privacy'),
          visit('page not found', '/listings/999999999'),
        ],
        'tenant',
      );
      await context.close();
      expect(problems).to.deep.equal([]);
      expect(foreignRequests(server)).to.deep.equal([]);
    });
  }

  describe('as a moderator', () => {
    let context: BrowserContext;
    let page: Page;

    before(async function () {
      if (!server) this.skip();
      // A report to work on, filed through the listing page like a tenant would.
      const tenant = await server.newContext();
      const tenantPage = await signInWithForm(tenant, 'demo_bench', demoPassword);
      const reported = await firstLink(tenantPage, '/listings?sort=rent', /^\/listings\/\d+$/);
      await tenantPage.goto(reported);
      if (await tenantPage.locator(`form[action="${reported}/report"]`).count()) {
        await tenantPage.selectOption('[name=reason]', { index: 1 });
        await submitForm(tenantPage, `form[action="${reported}/report"] button[type=submit]`);
      }
      await tenant.close();
      // Signed in once: each TOTP code works only once.
      context = await server.newContext();
      page = await signInWithForm(context, 'demo_moderator', moderatorPassword, moderatorSecret);
    });

    after(async () => {
      await context?.close();
    });

    for (const lang of LOCALES) {
      it(`passes in ${lang}`, async () => {
        await switchLanguage(page, lang);
        const reportPath = await firstLink(page, '/admin/reports', /^\/admin\/reports\/\d+$/);
        const listingPath = await firstLink(page, '/admin/listings', /^\/admin\/listings\/\d+$/);
        const userPath = await firstLink(page, '/admin/users', /^\/admin\/users\/\d+$/);
        const problems = await check(
          page,
          lang,
          [
            visit('dashboard', '/admin'),
            visit('report queue', '/admin/reports', 'moderation'),
            visit('a report', reportPath),
            visit('listings', '/admin/listings'),
            visit('a listing', listingPath),
            visit('users', '/admin/users'),
            visit('a user', userPath),
            visit('audit log', '/admin/audit'),
            visit('account', '/account'),
          ],
          'moderator',
        );
        expect(problems).to.deep.equal([]);
        expect(foreignRequests(server)).to.deep.equal([]);
      });
    }
  });
});
