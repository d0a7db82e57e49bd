import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { runAlerts } from '../../jobs/alerts';
import { runPurge } from '../../jobs/purge';
import { AlertSetting } from '../../models/alert-setting';
import { SavedSearch } from '../../models/saved-search';
import type { User } from '../../models/user';
import { alertUnsubscribeQuery } from '../../server/services/alerts';
import { unsubscribeQuery } from '../../server/services/messages';
import { context, deliverQueuedMail } from '../helpers/context';
import { createListing, createUser, DEFAULT_PASSWORD } from '../helpers/factories';
import { agent, csrfFrom, linkIn, signIn, type Agent } from '../helpers/http';

// Alerts and saved searches through the pages: saving a search from the search page,
// the alert choices and the saved searches on /account, the e-mail's unsubscribe link,
// My data and the export, and erasure.

/** Sends a form found on a page: its own CSRF token, with the given fields. */
async function post(a: Agent, page: string, path: string, fields: Record<string, string | string[]>) {
  const html = (await a.get(page)).text;
  return a
    .post(path)
    .type('form')
    .send({ ...fields, _csrf: csrfFrom(html) });
}

const SEARCH = '/listings?district=vallila&rooms_min=2&balcony=1';
const SEARCH_FIELDS = { district: 'vallila', rooms_min: '2', balcony: '1' };

async function savedSearchesOf(user: User) {
  return SavedSearch.findAll({ where: { userId: user.id }, order: [['id', 'ASC']] });
}

describe('alerts and saved searches', () => {
  describe('saving a search from the search page', () => {
    it('offers signed-in tenants a save form with the applied filters, and visitors none', async () => {
      const visitor = await agent().get(SEARCH);
      expect(visitor.text).to.not.contain('/listings/save-search');
      const a = await signIn(await createUser({ locale: 'en' }));
      const res = await a.get(SEARCH);
      const form = /<form method="post" action="\/listings\/save-search"[\s\S]*?<\/form>/.exec(res.text)?.[0] ?? '';
      expect(form).to.contain('name="district" value="vallila"');
      expect(form).to.contain('name="rooms_min" value="2"');
      expect(form).to.contain('name="balcony" value="1"');
      expect(form).to.match(/type="checkbox" id="field-alert" name="alert" value="on">/);
    });

    it('saves the filters with a name and the alert choice, and goes back to the search', async () => {
      const user = await createUser({ locale: 'en' });
      const a = await signIn(user);
      const res = await post(a, SEARCH, '/listings/save-search', { ...SEARCH_FIELDS, name: 'Family flat', alert: 'on' });
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.equal('/listings?district=vallila&rooms_min=2&balcony=1');
      expect((await a.get(res.headers.location)).text).to.contain('The search was saved.');
      const [saved] = await savedSearchesOf(user);
      expect(saved.name).to.equal('Family flat');
      expect(saved.alert).to.equal(true);
      expect(JSON.parse(saved.filters)).to.deep.equal({
        districts: ['vallila'],
        roomsMin: 2,
        lift: false,
        balcony: true,
        sauna: false,
      });
      const account = await a.get('/account');
      expect(account.text).to.contain('Family flat');
      expect(account.text).to.contain('href="/listings?district=vallila&amp;rooms_min=2&amp;balcony=1"');
    });

    it('saves the same filters only once', async () => {
      const user = await createUser({ locale: 'en' });
      const a = await signIn(user);
      await post(a, SEARCH, '/listings/save-search', SEARCH_FIELDS);
      const again = await post(a, SEARCH, '/listings/save-search', { ...SEARCH_FIELDS, name: 'again' });
      expect(again.status).to.equal(303);
      expect((await a.get(again.headers.location)).text).to.contain('You had already saved this search.');
      expect(await savedSearchesOf(user)).to.have.length(1);
    });

    it('re-renders with 422, the message next to the name field and the input kept, when the name is too long', async () => {
      const user = await createUser({ locale: 'en' });
      const a = await signIn(user);
      const long = 'x'.repeat(81);
      const res = await post(a, SEARCH, '/listings/save-search', { ...SEARCH_FIELDS, name: long, alert: 'on' });
      expect(res.status).to.equal(422);
      expect(res.text).to.match(
        /<p class="error-message" id="field-name-error">[\s\S]*?<\/p>\s*<input id="field-name" name="name"/,
      );
      expect(res.text).to.contain('aria-describedby="field-name-hint field-name-error"');
      expect(res.text).to.contain(`value="${long}"`);
      expect(res.text).to.match(/name="alert" value="on" checked/);
      expect(res.text).to.contain('name="district" value="vallila"');
      expect(await savedSearchesOf(user)).to.have.length(0);
    });

    it('refuses a sixth saved search with 422 and says how to make room', async () => {
      const user = await createUser({ locale: 'en' });
      const a = await signIn(user);
      for (let rooms = 1; rooms <= 5; rooms += 1) {
        expect((await post(a, SEARCH, '/listings/save-search', { rooms_min: String(rooms) })).status).to.equal(303);
      }
      const res = await post(a, SEARCH, '/listings/save-search', { rooms_min: '6', name: 'one more' });
      expect(res.status).to.equal(422);
      expect(res.text).to.contain('You already have 5 saved searches, the most you can keep.');
      expect(res.text).to.contain('value="one more"');
      expect(res.text).to.contain('href="/account#saved-searches"');
      expect(await savedSearchesOf(user)).to.have.length(5);
    });

    it('answers 422 next to the filters when a filter could not be read', async () => {
      const a = await signIn(await createUser({ locale: 'en' }));
      const res = await post(a, SEARCH, '/listings/save-search', { rent_max: 'a lot' });
      expect(res.status).to.equal(422);
      expect(res.text).to.contain('A filter of this search could not be read.');
    });

    it('sends a visitor to sign in, saving nothing', async () => {
      const res = await post(agent(), '/login', '/listings/save-search', SEARCH_FIELDS);
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.match(/^\/login/);
      expect(await SavedSearch.count()).to.equal(0);
    });
  });

  describe('the alert choices on /account', () => {
    it('are off by default, as checkboxes whose names contain "alert"', async () => {
      const user = await createUser({ locale: 'en' });
      const a = await signIn(user);
      await post(a, SEARCH, '/listings/save-search', SEARCH_FIELDS);
      const res = await a.get('/account');
      expect(res.text).to.contain('action="/account/alerts"');
      expect(res.text).to.match(
        /<input type="checkbox" id="field-alert_new_swaps" name="alert_new_swaps" value="on" aria-describedby="field-alert_new_swaps-hint">/,
      );
      expect(res.text).to.match(/<input type="checkbox" id="field-alert_searches-\d+" name="alert_searches" value="\d+">/);
    });

    it('turn new swaps and a saved search’s alert on and off again', async () => {
      const user = await createUser({ locale: 'en' });
      const a = await signIn(user);
      await post(a, SEARCH, '/listings/save-search', SEARCH_FIELDS);
      const [search] = await savedSearchesOf(user);
      const on = await post(a, '/account', '/account/alerts', { alert_new_swaps: 'on', alert_searches: String(search.id) });
      expect(on.status).to.equal(303);
      expect((await AlertSetting.findByPk(user.id))!.newSwaps).to.equal(true);
      expect((await SavedSearch.findByPk(search.id))!.alert).to.equal(true);
      const page = await a.get('/account');
      expect(page.text).to.contain('Your alerts were saved.');
      expect(page.text).to.match(/name="alert_new_swaps" value="on" aria-describedby="field-alert_new_swaps-hint" checked>/);
      await post(a, '/account', '/account/alerts', {});
      expect((await AlertSetting.findByPk(user.id))!.newSwaps).to.equal(false);
      expect((await SavedSearch.findByPk(search.id))!.alert).to.equal(false);
    });

    it('answer 404 and change nothing for another tenant’s saved search', async () => {
      const owner = await createUser();
      await context().board.services.alerts.saveSearch(
        owner,
        { districts: [], lift: false, balcony: false, sauna: false },
        '',
        false,
      );
      const [theirs] = await savedSearchesOf(owner);
      const a = await signIn(await createUser());
      const res = await post(a, '/account', '/account/alerts', { alert_new_swaps: 'on', alert_searches: String(theirs.id) });
      expect(res.status).to.equal(404);
      expect((await SavedSearch.findByPk(theirs.id))!.alert).to.equal(false);
      expect((await post(a, '/account', `/account/searches/${theirs.id}/delete`, {})).status).to.equal(404);
      expect((await post(a, '/account', '/account/searches/99999/delete', {})).status).to.equal(404);
      expect((await post(a, '/account', '/account/searches/nope/delete', {})).status).to.equal(404);
      expect(await SavedSearch.count()).to.equal(1);
    });

    it('delete one of my saved searches', async () => {
      const user = await createUser({ locale: 'en' });
      const a = await signIn(user);
      await post(a, SEARCH, '/listings/save-search', SEARCH_FIELDS);
      const [search] = await savedSearchesOf(user);
      const res = await post(a, '/account', `/account/searches/${search.id}/delete`, {});
      expect(res.status).to.equal(303);
      expect((await a.get('/account')).text).to.contain('The saved search was deleted.');
      expect(await SavedSearch.count()).to.equal(0);
    });
  });

  describe('the unsubscribe link of an alert e-mail', () => {
    async function alertMailFor(user: User): Promise<string> {
      const { alerts } = context().board.services;
      await alerts.updateAlerts(user, { newSwaps: true, searchIds: [] });
      await createListing(undefined, { district: 'vallila', postalCode: '00510', wantedDistricts: ['kallio'] });
      const c = context();
      await runAlerts({ now: c.clock.now(), db: c.db, logger: c.deps.logger, config: c.config, clock: c.clock.now });
      await deliverQueuedMail();
      return context().mailer.last(user.email)!.text;
    }

    it('asks first (GET changes nothing), then turns every alert off without signing in', async () => {
      const user = await createUser({ locale: 'en' });
      await createListing(user);
      await context().board.services.alerts.saveSearch(
        user,
        { districts: [], lift: false, balcony: false, sauna: false },
        '',
        true,
      );
      const link = linkIn(await alertMailFor(user), '/alerts/unsubscribe');
      const a = agent();
      const page = await a.get(link).set('Accept-Language', 'en');
      expect(page.status).to.equal(200);
      expect(page.text).to.contain('Turn off alerts?');
      expect((await AlertSetting.findByPk(user.id))!.newSwaps).to.equal(true);
      const done = await a
        .post(link)
        .set('Accept-Language', 'en')
        .type('form')
        .send({ _csrf: csrfFrom(page.text) });
      expect(done.status).to.equal(200);
      expect(done.text).to.contain('You will no longer get alert e-mails.');
      expect((await AlertSetting.findByPk(user.id))!.newSwaps).to.equal(false);
      expect((await savedSearchesOf(user))[0].alert).to.equal(false);
    });

    it('works as a mail program’s one-click POST, without a CSRF token', async () => {
      const user = await createUser({ locale: 'en' });
      await createListing(user);
      const link = linkIn(await alertMailFor(user), '/alerts/unsubscribe');
      const res = await agent().post(link).type('form').send({ 'List-Unsubscribe': 'One-Click' });
      expect(res.status).to.equal(200);
      expect((await AlertSetting.findByPk(user.id))!.newSwaps).to.equal(false);
    });

    it('changes nothing with a forged, altered or expired link (400)', async () => {
      const user = await createUser({ locale: 'en' });
      await context().board.services.alerts.updateAlerts(user, { newSwaps: true, searchIds: [] });
      const { config } = context();
      const good = alertUnsubscribeQuery(config.sessionSecret, user.id, new Date());
      const other = await createUser();
      const forged = good.replace(`u=${user.id}`, `u=${other.id}`);
      const expired = alertUnsubscribeQuery(config.sessionSecret, user.id, new Date(Date.now() - 61 * 24 * 3600_000));
      // A message-notice link is signed for another purpose and does not work here.
      const notice = unsubscribeQuery(config.sessionSecret, user.id, new Date());
      for (const query of [forged, expired, notice, 'u=1&e=9999999999&sig=nope', '']) {
        const res = await agent().post(`/alerts/unsubscribe?${query}`).set('Accept-Language', 'en').type('form').send({});
        expect(res.status, query).to.equal(400);
        expect(res.text).to.contain('The link is not valid');
      }
      expect((await AlertSetting.findByPk(user.id))!.newSwaps).to.equal(true);
    });
  });

  describe('My data, the export and erasure', () => {
    async function tenantWithAlerts() {
      const user = await createUser({ locale: 'en', email: 'alma@example.fi' });
      const { alerts } = context().board.services;
      await alerts.saveSearch(
        user,
        { districts: ['vallila'], roomsMin: 2, lift: false, balcony: true, sauna: false },
        'Family flat',
        true,
      );
      await alerts.updateAlerts(user, { newSwaps: true, searchIds: (await savedSearchesOf(user)).map((s) => s.id) });
      return user;
    }

    it('shows the alerts and saved searches on My data and puts them in the export', async () => {
      const user = await tenantWithAlerts();
      const a = await signIn(user);
      const page = await a.get('/account/data');
      expect(page.text).to.contain('Alerts and saved searches');
      expect(page.text).to.contain('Family flat');
      expect(page.text).to.contain('at least 2 rooms');
      const res = await a.get('/account/export');
      const data = JSON.parse(res.text) as {
        alerts: { newSwaps: boolean; savedSearches: { name: string; alert: boolean; filters: unknown }[] };
      };
      expect(data.alerts.newSwaps).to.equal(true);
      expect(data.alerts.savedSearches).to.have.length(1);
      expect(data.alerts.savedSearches[0]).to.include({ name: 'Family flat', alert: true });
      expect(data.alerts.savedSearches[0].filters).to.deep.equal({
        districts: ['vallila'],
        roomsMin: 2,
        lift: false,
        balcony: true,
        sauna: false,
      });
    });

    it('go with the account when the tenant deletes it, and when the purge does', async () => {
      const user = await tenantWithAlerts();
      const a = await signIn(user);
      const res = await post(a, '/account/delete', '/account/delete', { password: DEFAULT_PASSWORD });
      expect(res.status).to.equal(303);
      expect(await SavedSearch.count()).to.equal(0);
      expect(await AlertSetting.count()).to.equal(0);

      const passive = await tenantWithAlerts();
      await context().db.sequelize.query(
        "INSERT INTO alert_items (user_id, kind, a, b, c, created_at) VALUES (:id, 'pair', 1, 0, 0, :now)",
        {
          replacements: { id: passive.id, now: new Date() },
        },
      );
      await passive.update({ lastLoginAt: new Date('2026-01-01T00:00:00Z') });
      const c = context();
      await runPurge({ now: new Date('2026-06-01T00:00:00Z'), db: c.db, logger: c.deps.logger, config: c.config });
      expect(await SavedSearch.count()).to.equal(0);
      expect(await AlertSetting.count()).to.equal(0);
      const [{ n }] = await c.db.sequelize.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM alert_items', {
        type: QueryTypes.SELECT,
      });
      expect(Number(n)).to.equal(0);
    });
  });
});
