import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { acquireLock } from '../../jobs/lock';
import { ALERTS_LOCK_NAME, runAlerts, type AlertsDeps } from '../../jobs/alerts';
import { AlertSetting } from '../../models/alert-setting';
import { Listing } from '../../models/listing';
import { QueuedMail } from '../../models/queued-mail';
import { SavedSearch } from '../../models/saved-search';
import type { User } from '../../models/user';
import { context, deliverQueuedMail } from '../helpers/context';
import { createListing, createUser } from '../helpers/factories';
import type { SavedFilters } from '../../server/services/alerts';
import { refreshListingEdges } from '../../server/services/match-graph';

// The daily alert job (jobs/alerts.ts): new swaps and new listings for saved searches,
// at most one e-mail per tenant per day, never the same thing twice, nothing in a dry run.

const DAY1 = new Date('2027-01-10T05:00:00Z'); // 07:00 in Helsinki
const DAY1_LATER = new Date('2027-01-10T20:00:00Z'); // 22:00 in Helsinki, the same day
const DAY2 = new Date('2027-01-11T05:00:00Z');

async function alerts(now: Date, extra: Partial<AlertsDeps> = {}) {
  const c = context();
  const result = await runAlerts({ now, db: c.db, logger: c.deps.logger, config: c.config, clock: c.clock.now, ...extra });
  await deliverQueuedMail();
  return result;
}

/** A tenant with a listing in Kallio who wants Vallila (the factory's default). */
async function kallioTenant(opts: Parameters<typeof createUser>[0] = {}) {
  const user = await createUser(opts);
  const listing = await createListing(user);
  return { user, listing };
}

/** A listing in Vallila whose tenant wants Kallio: a two-way swap with every Kallio tenant. */
async function vallilaSwap(opts: Parameters<typeof createUser>[0] = {}, description?: string) {
  const user = await createUser(opts);
  const listing = await createListing(user, {
    district: 'vallila',
    postalCode: '00510',
    wantedDistricts: ['kallio'],
    ...(description ? { description } : {}),
  });
  return { user, listing };
}

async function optIn(user: User, newSwaps = true, searchIds: number[] = []) {
  await context().board.services.alerts.updateAlerts(user, { newSwaps, searchIds });
}

async function saveSearch(user: User, filters: Partial<SavedFilters>, alert = true, name = '') {
  const full: SavedFilters = { districts: [], lift: false, balcony: false, sauna: false, ...filters };
  await context().board.services.alerts.saveSearch(user, full, name, alert);
}

const mailsTo = (user: User) => context().mailer.to(user.email);

describe('jobs/alerts: the daily alert e-mails', () => {
  describe('new swaps for my home', () => {
    it('e-mails a new two-way swap once, in the tenant’s language, with the count and a link', async () => {
      const { user } = await kallioTenant({ locale: 'fi' });
      await optIn(user);
      await vallilaSwap();
      const result = await alerts(DAY1);
      expect(result.sent).to.equal(1);
      expect(result.pairs).to.equal(1);
      const mail = mailsTo(user);
      expect(mail).to.have.length(1);
      expect(mail[0].subject).to.equal('Uutta Asunnonvaihtopörssissä');
      expect(mail[0].text).to.contain('1 uusi molemmille sopiva vaihto');
      expect(mail[0].text).to.contain('http://board.test/matches');
      expect(mail[0].headers!['List-Unsubscribe']).to.match(
        /^<http:\/\/board\.test\/alerts\/unsubscribe\?u=\d+&e=\d+&sig=[\w-]+>$/,
      );
      expect(mail[0].headers!['List-Unsubscribe-Post']).to.equal('List-Unsubscribe=One-Click');
    });

    it('does not announce the swaps that were already there when the tenant opted in', async () => {
      const { user } = await kallioTenant();
      await vallilaSwap();
      await optIn(user);
      expect((await alerts(DAY1)).sent).to.equal(0);
      await vallilaSwap();
      const result = await alerts(DAY1);
      expect(result.sent).to.equal(1);
      expect(result.pairs).to.equal(1);
      expect(mailsTo(user)[0].text).to.contain('1 nytt byte som passar båda vägarna');
    });

    it('sends nothing to a tenant who has not opted in (alerts are off by default)', async () => {
      const { user } = await kallioTenant();
      await vallilaSwap();
      await vallilaSwap();
      expect((await alerts(DAY1)).sent).to.equal(0);
      expect(mailsTo(user)).to.have.length(0);
    });

    it('never announces the same swap twice, even when it goes away and comes back', async () => {
      const { user } = await kallioTenant();
      await optIn(user);
      const other = await vallilaSwap();
      expect((await alerts(DAY1)).sent).to.equal(1);
      const { listings } = context().board.services;
      const row = (await Listing.findByPk(other.listing.id))!;
      await listings.pause(row);
      await listings.resume(row);
      expect((await alerts(DAY2)).sent).to.equal(0);
      expect(mailsTo(user)).to.have.length(1);
    });

    it('never announces a swap with a paused or hidden listing', async () => {
      const { user } = await kallioTenant();
      await optIn(user);
      const paused = await vallilaSwap();
      const hidden = await vallilaSwap();
      const { listings } = context().board.services;
      await listings.pause((await Listing.findByPk(paused.listing.id))!);
      await Listing.update({ status: 'hidden' }, { where: { id: hidden.listing.id } });
      const { sequelize } = context().db;
      await sequelize.transaction((t) => refreshListingEdges(sequelize, hidden.listing.id, t));
      expect((await alerts(DAY1)).sent).to.equal(0);
    });

    it('e-mails a new three-way swap, and counts it apart from the two-way ones', async () => {
      // Kallio wants Vallila, Vallila wants Töölö, Töölö wants Kallio: a ring, no pair.
      const { user } = await kallioTenant({ locale: 'en' });
      await optIn(user);
      const b = await createListing(undefined, { district: 'vallila', postalCode: '00510', wantedDistricts: ['toolo'] });
      const c = await createListing(undefined, { district: 'toolo', postalCode: '00250', wantedDistricts: ['kallio'] });
      const result = await alerts(DAY1);
      expect(result.rings).to.equal(1);
      expect(result.pairs).to.equal(0);
      expect(mailsTo(user)[0].text).to.contain('1 new swap with three homes');
      // Each of the other two would be told too, had they opted in; a ring goes once.
      expect((await alerts(DAY2)).sent).to.equal(0);
      // A member pausing takes the ring away; back again, it is not news.
      const { listings } = context().board.services;
      await listings.pause((await Listing.findByPk(c.id))!);
      await listings.resume((await Listing.findByPk(c.id))!);
      expect(b.id).to.be.a('number');
      expect((await alerts(new Date('2027-01-12T05:00:00Z'))).sent).to.equal(0);
    });

    it('leaves out a swap the tenant marked "Not interested"', async () => {
      const { user, listing } = await kallioTenant({ locale: 'en' });
      await optIn(user);
      const hidden = await vallilaSwap();
      const [a, b] = [listing.id, hidden.listing.id].sort((x, y) => x - y);
      await context().db.sequelize.query(
        `INSERT INTO swap_marks (user_id, suggestion, listing_a, listing_b, listing_c, interested, created_at, updated_at)
         VALUES (:userId, :key, :a, :b, NULL, :no, :now, :now)`,
        { replacements: { userId: user.id, key: `p:${a}-${b}`, a, b, no: false, now: new Date() } },
      );
      expect((await alerts(DAY1)).sent).to.equal(0);
      await vallilaSwap();
      const result = await alerts(DAY2);
      expect(result.pairs).to.equal(1);
      expect(mailsTo(user)[0].text).to.contain('1 new swap that fits both ways');
    });

    it('sends nothing to an unverified, suspended or all-e-mail-off tenant', async () => {
      const unverified = await kallioTenant({ verified: false });
      const suspended = await kallioTenant({ suspended: 'spam' });
      const quiet = await kallioTenant();
      for (const t of [unverified, suspended, quiet]) await optIn(t.user);
      await quiet.user.update({ emailsEnabled: false });
      await vallilaSwap();
      expect((await alerts(DAY1)).sent).to.equal(0);
    });
  });

  describe('saved searches', () => {
    it('e-mails new listings that match, once, and not the ones posted before the search was saved', async () => {
      const user = await createUser({ locale: 'en' });
      await createListing(undefined, { district: 'vallila', rooms: 3 });
      await saveSearch(user, { districts: ['vallila'], roomsMin: 2 }, true, 'Vallila family flat');
      await createListing(undefined, { district: 'vallila', rooms: 3 });
      await createListing(undefined, { district: 'vallila', rooms: 1 }); // too small
      await createListing(undefined, { district: 'kallio', rooms: 3 }); // elsewhere
      const result = await alerts(DAY1);
      expect(result.sent).to.equal(1);
      expect(result.listings).to.equal(1);
      const [mail] = mailsTo(user);
      expect(mail.subject).to.equal('New on the Housing Exchange Board');
      expect(mail.text).to.contain('1 new listing matches your saved searches:');
      expect(mail.text).to.contain('Vallila family flat: 1 new');
      expect(mail.text).to.contain('http://board.test/account#saved-searches');
      expect((await alerts(DAY2)).sent).to.equal(0);
    });

    it('counts a listing that fits two saved searches once', async () => {
      const user = await createUser({ locale: 'en' });
      await saveSearch(user, { districts: ['vallila'] });
      await saveSearch(user, { roomsMin: 2 });
      await createListing(undefined, { district: 'vallila', rooms: 3 });
      const result = await alerts(DAY1);
      expect(result.listings).to.equal(1);
      expect(mailsTo(user)[0].text).to.contain('1 new listing matches');
    });

    it('does not e-mail a search whose alert is off, nor the tenant’s own listing', async () => {
      const user = await createUser();
      await saveSearch(user, { districts: ['vallila'] }, false);
      await createListing(undefined, { district: 'vallila' });
      expect((await alerts(DAY1)).sent).to.equal(0);
      const other = await createUser();
      await saveSearch(other, { districts: ['vallila'] });
      await createListing(other, { district: 'vallila' });
      expect((await alerts(DAY1)).sent).to.equal(0);
    });

    it('moves a search on when nothing new matched, so older listings are never counted later', async () => {
      const user = await createUser();
      await saveSearch(user, { districts: ['vallila'] });
      const kallio = await createListing(undefined, { district: 'kallio' });
      expect((await alerts(DAY1)).sent).to.equal(0);
      expect((await SavedSearch.findOne({ where: { userId: user.id } }))!.seenListingId).to.equal(kallio.id);
    });
  });

  describe('at most one e-mail per tenant per day', () => {
    it('holds what is new for the next day when today’s e-mail has gone', async () => {
      const { user } = await kallioTenant({ locale: 'en' });
      await optIn(user);
      await vallilaSwap();
      expect((await alerts(DAY1)).sent).to.equal(1);
      await vallilaSwap();
      await vallilaSwap();
      expect((await alerts(DAY1_LATER)).sent, 'the same Helsinki day').to.equal(0);
      const next = await alerts(DAY2);
      expect(next.sent).to.equal(1);
      expect(next.pairs).to.equal(2);
      const mails = mailsTo(user);
      expect(mails).to.have.length(2);
      expect(mails[1].text).to.contain('2 new swaps that fit both ways');
      expect((await AlertSetting.findByPk(user.id))!.lastSentDay).to.equal('2027-01-11');
    });

    it('sends one e-mail holding both new swaps and new listings', async () => {
      const { user } = await kallioTenant({ locale: 'en' });
      await optIn(user);
      await saveSearch(user, { districts: ['vallila'] });
      await vallilaSwap();
      const result = await alerts(DAY1);
      expect(result.sent).to.equal(1);
      expect(result.pairs).to.equal(1);
      expect(result.listings).to.equal(1);
      expect(mailsTo(user)).to.have.length(1);
    });
  });

  describe('running it twice', () => {
    it('is idempotent: a second run sends nothing and records nothing new', async () => {
      const a = await kallioTenant();
      const b = await kallioTenant();
      await optIn(a.user);
      await optIn(b.user);
      await vallilaSwap();
      expect((await alerts(DAY1)).sent).to.equal(2);
      const second = await alerts(DAY1);
      expect(second.sent).to.equal(0);
      expect(context().mailer.sent).to.have.length(2);
    });

    it('sends once when two runs are started together (two concurrent jobs)', async () => {
      const tenants = [];
      for (let i = 0; i < 4; i += 1) {
        const t = await kallioTenant();
        await optIn(t.user);
        tenants.push(t);
      }
      await vallilaSwap();
      const results = await Promise.all([alerts(DAY1), alerts(DAY1), alerts(DAY1)]);
      expect(results.reduce((n, r) => n + r.sent, 0)).to.equal(4);
      expect(context().mailer.sent).to.have.length(4);
      for (const t of tenants) expect(mailsTo(t.user)).to.have.length(1);
    });

    it('sends once even when two runs both reach the tenant (the daily claim decides)', async () => {
      const { user } = await kallioTenant();
      await optIn(user);
      await vallilaSwap();
      const c = context();
      const base = { db: c.db, logger: c.deps.logger, config: c.config, clock: c.clock.now, now: DAY1 };
      // The second run takes the lease over as if the first one's had run out (its wall
      // clock is an hour ahead); the first waits, its e-mail ready, until the second has
      // its e-mail ready too: both have found the same news for the same tenant.
      let secondReady!: () => void;
      const bothReady = new Promise<void>((resolve) => (secondReady = resolve));
      let firstReady!: () => void;
      const firstIsReady = new Promise<void>((resolve) => (firstReady = resolve));
      const first = runAlerts({
        ...base,
        hooks: {
          beforeSend: async () => {
            firstReady();
            await bothReady;
          },
        },
      });
      await firstIsReady;
      const later = () => new Date(Date.now() + 3600_000);
      const second = runAlerts({ ...base, clock: later, hooks: { beforeSend: () => secondReady() } });
      const results = await Promise.all([first, second]);
      await deliverQueuedMail();
      expect(results.reduce((n, r) => n + r.sent, 0)).to.equal(1);
      // The second run queued its mail by its own (later) clock: count queued and delivered.
      const queued = await QueuedMail.count({ where: { purpose: 'alert' } });
      expect(queued + mailsTo(user).length).to.equal(1);
    });

    it('skips while another process holds the lease', async () => {
      const { user } = await kallioTenant();
      await optIn(user);
      await vallilaSwap();
      const other = await acquireLock(ALERTS_LOCK_NAME, { ttlMs: 60_000, holder: 'other-server:42:x' });
      const result = await alerts(DAY1);
      await other!.release();
      expect(result.outcome).to.equal('skipped');
      expect(result.sent).to.equal(0);
      expect((await alerts(DAY1)).sent).to.equal(1);
    });
  });

  describe('a dry run', () => {
    it('counts what would be sent and changes nothing', async () => {
      const { user } = await kallioTenant();
      await optIn(user);
      await saveSearch(user, { districts: ['vallila'] });
      await vallilaSwap();
      const dry = await alerts(DAY1, { dryRun: true });
      expect(dry.dryRun).to.equal(true);
      expect(dry.sent).to.equal(1);
      expect(dry.pairs).to.equal(1);
      expect(dry.listings).to.equal(1);
      expect(context().mailer.sent).to.have.length(0);
      expect((await AlertSetting.findByPk(user.id))!.lastSentDay).to.equal(null);
      const [{ n }] = await context().db.sequelize.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM alert_items', {
        type: QueryTypes.SELECT,
      });
      expect(Number(n)).to.equal(0);
      // The real run afterwards still has everything to tell.
      expect((await alerts(DAY1)).sent).to.equal(1);
    });
  });

  describe('privacy: what an alert e-mail holds', () => {
    it('never names another tenant or carries their e-mail, phone or description', async () => {
      const others = [];
      for (let i = 0; i < 3; i += 1) {
        others.push(
          await vallilaSwap(
            { username: `neighbour_${i}`, email: `neighbour.${i}@example.fi`, phone: `+35840555010${i}`, showPhone: true },
            `Secret description ${i}: door code 12${i}4, ask for Mirja`,
          ),
        );
      }
      const recipients: User[] = [];
      for (const locale of ['sv', 'fi', 'en'] as const) {
        const { user } = await kallioTenant({
          locale,
          username: `reader_${locale}`,
          email: `reader.${locale}@example.fi`,
          phone: '+358401112233',
        });
        await optIn(user, true);
        await saveSearch(user, { districts: ['vallila'] }, true);
        recipients.push(user);
      }
      // New since the opt-ins: one more swap and one more listing for the searches.
      others.push(
        await vallilaSwap(
          { username: 'late_neighbour', email: 'late.neighbour@example.fi', phone: '+358405550999', showPhone: true },
          'Secret description late: balcony faces the yard of Mirja',
        ),
      );
      expect((await alerts(DAY1)).sent).to.equal(3);
      const mails = context().mailer.sent;
      expect(mails).to.have.length(3);
      const theirs = others.flatMap((o) => [
        o.user.username,
        o.user.email,
        o.user.phone!,
        o.listing.description,
        'Mirja',
        'door code',
      ]);
      for (const recipient of recipients) {
        // The other readers are other tenants too.
        const forbidden = [...theirs, ...recipients.filter((r) => r.id !== recipient.id).flatMap((r) => [r.username, r.email])];
        const [mail] = mailsTo(recipient);
        const everything = [mail.subject, mail.text, JSON.stringify(mail.headers ?? {})].join('\n');
        for (const word of forbidden) expect(everything, `alert e-mail to ${recipient.username}`).to.not.contain(word);
        // No flat details: no rent, size or room figures (the links aside).
        expect(everything.replace(/https?:\/\/\S+/g, '')).to.not.match(/€|m²|\b48\b|\b780\b|\brooms?\b/);
        expect(everything, 'the recipient is greeted by name').to.contain(recipient.username);
      }
    });
  });
});
