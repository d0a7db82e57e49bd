import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import { translator, type Locale } from '../../server/i18n';
import {
  browserTestsWanted,
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

// The main journey, as tenants and a moderator live it, in a real browser:
// register → verify from the e-mail → publish → a second tenant finds the flat,
// saves it and writes → the owner replies → a moderator hides it → the owner sees why.
// Run in Swedish and Finnish with JavaScript on, and again with JavaScript off.
const RUNS: { lang: Locale; acceptLanguage: string; js: boolean }[] = [
  { lang: 'sv', acceptLanguage: 'sv-FI', js: true },
  { lang: 'fi', acceptLanguage: 'fi-FI', js: true },
  { lang: 'sv', acceptLanguage: 'sv-FI', js: false },
  { lang: 'fi', acceptLanguage: 'fi-FI', js: false },
];

describe('in a real browser: the main journey', function () {
  this.timeout(180_000);
  let server: BrowserServer;
  let counter = 0;

  before(async function () {
    browserTestsWanted(this);
    server = await startBrowserServer();
  });

  after(async () => {
    await server?.close();
  });

  async function register(context: BrowserContext, name: string, lang: Locale): Promise<Page> {
    const t = translator(lang);
    const page = await context.newPage();
    await fillAndSubmit(page, '/register', {
      username: name,
      email: `${name}@example.fi`,
      password: PASSWORD,
      password_confirm: PASSWORD,
    });
    expect(await page.getAttribute('html', 'lang')).to.equal(lang);
    // The same answer whether or not the address was free: check your inbox, then sign in.
    expect(new URL(page.url()).pathname).to.equal('/login');
    expect(await mainText(page)).to.contain(t('auth:register.done'));

    // Opened from the e-mail, as the tenant would.
    const mail = lastMailTo(server.outboxDir, `${name}@example.fi`);
    await page.goto(linkFrom(mail, '/verify-email'));
    expect(await mainText(page)).to.contain(t('auth:verify.done'));
    await fillAndSubmit(page, '/login', { username: name, password: PASSWORD });
    expect(new URL(page.url()).pathname, `${name} signed in`).to.not.match(/^\/login/);
    return page;
  }

  for (const run of RUNS) {
    it(`register, publish, find, save, write, reply, hide and explain — in ${run.lang}, JavaScript ${run.js ? 'on' : 'off'}`, async () => {
      const t = translator(run.lang);
      const n = ++counter;
      const owner = `owner${n}${run.lang}`;
      const seeker = `seeker${n}${run.lang}`;
      const mod = await server.createModerator(`moderator${n}`, `moderator${n}@example.fi`);
      const contexts: BrowserContext[] = [];
      const open = async () => {
        const c = await server.newContext({ javaScriptEnabled: run.js, locale: run.acceptLanguage });
        contexts.push(c);
        return c;
      };
      try {
        // The owner registers, verifies and publishes the flat in Kallio, wanting Vallila.
        const ownerPage = await register(await open(), owner, run.lang);
        await ownerPage.goto('/listings/new');
        await ownerPage.selectOption('[name=district]', 'kallio');
        await ownerPage.fill('[name=postal_code]', '00530');
        await ownerPage.fill('[name=rooms]', '2');
        await ownerPage.fill('[name=size_m2]', `${40 + n}`);
        await ownerPage.fill('[name=rent_eur]', '780');
        await ownerPage.fill('[name=description]', `Ljus tvåa nära Hagnäs torg, journey ${n}.`);
        // Districts are folded into their major district; open Vallila's to tick it.
        await ownerPage.click('details.district-group:has(input[value=vallila]) > summary');
        await ownerPage.check('input[name=wanted_districts][value=vallila]');
        await ownerPage.fill('[name=wanted_rooms_min]', '1');
        await submitForm(ownerPage);
        const listingPath = new URL(ownerPage.url()).pathname;
        expect(listingPath).to.match(/^\/listings\/\d+$/);
        expect(await mainText(ownerPage)).to.contain(t('listings:flash.created'));

        // A second tenant searches Kallio, finds the flat, saves it and writes to the owner.
        const seekerPage = await register(await open(), seeker, run.lang);
        await seekerPage.goto('/listings?district=kallio&rooms_min=2');
        const card = seekerPage.locator(`a[href="${listingPath}"]`);
        expect(await card.count()).to.equal(1);
        await Promise.all([seekerPage.waitForURL(`**${listingPath}`), card.click()]);
        expect(await mainText(seekerPage)).to.contain(`journey ${n}`);
        expect(await mainText(seekerPage)).to.contain(owner); // signed-in tenants see who posted it
        await submitForm(seekerPage, `form[action="${listingPath}/favourite"] button`);
        await seekerPage.goto('/favourites');
        expect(await seekerPage.locator(`a[href="${listingPath}"]`).count()).to.equal(1);

        await seekerPage.goto(listingPath);
        await seekerPage.fill('[name=body]', `Hej! Vill du byta mot min etta i Vallila? (${n})`);
        await submitForm(seekerPage, `form[action="${listingPath}/messages"] button`);
        const conversationPath = new URL(seekerPage.url()).pathname;
        expect(conversationPath).to.match(/^\/messages\/\d+$/);
        expect(await mainText(seekerPage)).to.contain(`min etta i Vallila? (${n})`);

        // The owner sees the unread conversation in the inbox and replies.
        await ownerPage.goto('/messages');
        expect(await ownerPage.locator('header .badge').innerText()).to.match(/^1\b/);
        await Promise.all([ownerPage.waitForURL(`**${conversationPath}`), ownerPage.click(`a[href="${conversationPath}"]`)]);
        expect(await mainText(ownerPage)).to.contain(`min etta i Vallila? (${n})`);
        await ownerPage.fill('[name=body]', `Gärna, kom och titta på lördag (${n}).`);
        await submitForm(ownerPage, `form[action="${conversationPath}"] button`);
        await seekerPage.goto(conversationPath);
        expect(await mainText(seekerPage)).to.contain(`kom och titta på lördag (${n})`);

        // A moderator hides the listing with a reason.
        const modPage = await signInWithForm(await open(), mod.username, mod.password, mod.secret);
        await modPage.goto(`/admin${listingPath}`);
        const reason = `Bilderna visar en annan lägenhet (${n})`;
        await modPage.fill('[name=reason]', reason);
        await submitForm(modPage, `button[formaction="/admin${listingPath}/hide"]`);
        expect(await mainText(modPage)).to.contain(reason);

        // The owner sees that it is hidden and why; the seeker no longer finds it.
        await ownerPage.goto(listingPath);
        expect(await mainText(ownerPage)).to.contain(t('listings:owner.hidden_reason', { reason }));
        const gone = await seekerPage.goto(listingPath);
        expect(gone!.status()).to.equal(404);
        await seekerPage.goto('/listings?district=kallio&rooms_min=2');
        expect(await seekerPage.locator(`a[href="${listingPath}"]`).count()).to.equal(0);
      } finally {
        for (const c of contexts) await c.close();
      }
      expect(foreignRequests(server)).to.deep.equal([]);
    });
  }
});
