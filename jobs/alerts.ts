import { Op, QueryTypes, Transaction } from 'sequelize';
import type { Db } from '../models';
import { AlertSetting } from '../models/alert-setting';
import { LISTING_STATUS } from '../models/listing';
import { SavedSearch } from '../models/saved-search';
import type { Locale } from '../models/user';
import type { Config } from '../server/config';
import type { Logger } from '../server/logger';
import type { OutgoingMail } from '../server/mail/mailer';
import { enqueueMails } from '../server/mail/queue';
import { renderMail } from '../server/mail/templates';
import { describeFilters } from '../server/presenters/alerts';
import {
  alertUnsubscribeQuery,
  helsinkiDay,
  listingCeiling,
  matchesFilters,
  parseSavedFilters,
  recordItems,
  type ItemRow,
  type ListingFacts,
  type SavedFilters,
} from '../server/services/alerts';
import { suggestionsFor, type Suggestion } from '../server/services/suggestions';
import { acquireLock } from './lock';

// The daily alert e-mails. A plain function: the server's scheduler (jobs/scheduler.ts),
// the CLI (jobs/alerts-cli.ts), the benchmark and the tests call it.
//
// For every tenant who opted in (alert_settings.new_swaps, or a saved search with its
// alert on), whose address is verified, who is not suspended and has not turned all
// e-mail off, and who has not had an alert e-mail this Helsinki day:
// - new swaps: the current suggestions of their active listing (two-way and three-way,
//   server/services/suggestions.ts) not yet in alert_items, leaving out those the tenant
//   marked "Not interested" (when an e-mail goes out they are noted as told with the
//   rest, so undoing the mark later does not announce them);
// - new listings: active listings with an id above the search's seen_listing_id that
//   match the search's filters and are not the tenant's own. seen_listing_id moves up to
//   the run's ceiling whenever the search has been looked at (and its news sent), so a
//   listing is new to a search exactly once; a listing that fits two of the tenant's
//   searches is counted once. A listing that is paused or hidden when its turn comes is
//   not announced later.
// If there is anything, one e-mail in the tenant's language with the counts and links to
// the board (no other tenant's data, no flat details) is queued in the mail queue, in
// one transaction per batch with: the day claimed on alert_settings (rows locked and
// re-read, so two runs can never both send), the suggestions recorded in alert_items
// (never told twice, even when a pair goes and comes back), the searches'
// seen_listing_id moved on.
//
// - Tenants are read in batches of ALERTS_BATCH_SIZE by id (keyset), never all at once.
// - A lease in job_locks (jobs/lock.ts) keeps two processes from running it at once; a run
//   that finds it held returns "skipped". The daily claim makes a second send impossible
//   even without it.
// - Idempotent and safe to re-run: a second run the same day sends nothing; a crash
//   leaves every tenant either fully handled or untouched.
// - The new listings are read once per run (only ids above the lowest seen_listing_id of
//   a search with its alert on), and matched against the searches in memory.

export const ALERTS_LOCK_NAME = 'alerts';
/** How long a run's lease lasts without renewal; renewed after every batch. */
export const ALERTS_LOCK_TTL_MS = 10 * 60 * 1000;

export interface AlertsHooks {
  /** Called when a batch's e-mails are ready, before their transaction (tests make two runs overlap here). */
  beforeSend?(userIds: number[]): void | Promise<void>;
}

export interface AlertsDeps {
  /** The as-of instant: its Helsinki day is the day of the daily cap. */
  now: Date;
  db: Db;
  logger: Logger;
  config: Pick<Config, 'alerts' | 'baseUrl' | 'org' | 'sessionSecret'>;
  /** Count what would be sent; change nothing, send nothing. */
  dryRun?: boolean;
  /** Wall clock for the lease and the mail queue (defaults to real time). */
  clock?: () => Date;
  lockTtlMs?: number;
  /** Shutdown: the batch in progress finishes, then the run stops. */
  signal?: AbortSignal;
  hooks?: AlertsHooks;
}

export interface AlertsResult {
  outcome: 'ok' | 'skipped' | 'failed';
  dryRun: boolean;
  asOf: Date;
  /** Tenants with an alert on who were looked at. */
  checked: number;
  /** Alert e-mails queued (or, in a dry run, that would be). */
  sent: number;
  /** New suggestions and listings told about (or that would be). */
  pairs: number;
  rings: number;
  listings: number;
  error: string | null;
}

interface Candidate {
  userId: number;
  newSwaps: boolean;
  lastSentDay: string | null;
  email: string;
  username: string;
  locale: Locale;
  listingId: number | null;
}

interface Counts {
  pairs: number;
  rings: number;
  listings: number;
}

interface Outgoing {
  candidate: Candidate;
  counts: Counts;
  mail: OutgoingMail;
  items: ItemRow[];
  searchIds: number[];
}

interface SearchNews {
  id: number;
  name: string;
  filters: SavedFilters;
  /** New listings for this search (not told before, maybe shared with another search). */
  count: number;
}

/** An error for the log: its kind and message, never an address. */
function describeError(err: unknown): string {
  const e = err instanceof Error ? err : new Error(String(err));
  return `${e.name}: ${e.message}`.replace(/[^\s@'"]+@[^\s@'"]+/g, '[redacted]').slice(0, 500);
}

const flag = (v: unknown) => v === true || Number(v) === 1;

async function loadNewListings(db: Db, ceiling: number): Promise<ListingFacts[]> {
  const [low] = await db.sequelize.query<{ n: number | string | null }>(
    'SELECT MIN(seen_listing_id) AS n FROM saved_searches WHERE alert = :yes',
    { type: QueryTypes.SELECT, replacements: { yes: true } },
  );
  if (low?.n === null || low?.n === undefined || Number(low.n) >= ceiling) return [];
  const rows = await db.sequelize.query<Record<string, unknown>>(
    `SELECT id, user_id, district, rooms, size_m2, rent_eur, has_lift, has_balcony, has_sauna
       FROM listings WHERE status = :active AND id > :low AND id <= :ceiling ORDER BY id`,
    { type: QueryTypes.SELECT, replacements: { active: LISTING_STATUS.ACTIVE, low: Number(low.n), ceiling } },
  );
  return rows.map((r) => ({
    id: Number(r.id),
    userId: Number(r.user_id),
    district: String(r.district),
    rooms: Number(r.rooms),
    sizeM2: Number(r.size_m2),
    rentEur: Number(r.rent_eur),
    hasLift: flag(r.has_lift),
    hasBalcony: flag(r.has_balcony),
    hasSauna: flag(r.has_sauna),
  }));
}

export async function runAlerts(deps: AlertsDeps): Promise<AlertsResult> {
  const { now, db, logger, config } = deps;
  const dryRun = deps.dryRun ?? false;
  const clock = deps.clock ?? (() => new Date());
  const sequelize = db.sequelize;
  const result: AlertsResult = {
    outcome: 'ok',
    dryRun,
    asOf: now,
    checked: 0,
    sent: 0,
    pairs: 0,
    rings: 0,
    listings: 0,
    error: null,
  };

  const lease = await acquireLock(ALERTS_LOCK_NAME, { ttlMs: deps.lockTtlMs ?? ALERTS_LOCK_TTL_MS, clock });
  if (!lease) {
    logger.warn('alerts skipped: another run holds the lock');
    return { ...result, outcome: 'skipped', error: 'another run holds the lock' };
  }
  const today = helsinkiDay(now);
  let ceiling = 0;
  let fresh: ListingFacts[] = [];
  // Each district's new listings (all of them serve the searches without a district).
  const byDistrict = new Map<string, ListingFacts[]>();
  try {
    logger.info({ asOf: now.toISOString(), dryRun }, 'alerts started');
    ceiling = await listingCeiling(sequelize);
    fresh = await loadNewListings(db, ceiling);
    for (const l of fresh) {
      let list = byDistrict.get(l.district);
      if (!list) byDistrict.set(l.district, (list = []));
      list.push(l);
    }

    let lastUserId = 0;
    for (;;) {
      const batch = (
        await sequelize.query<Record<string, unknown>>(
          `SELECT s.user_id, s.new_swaps, s.last_sent_day, u.email, u.username, u.locale, l.id AS listing_id
           FROM alert_settings s
           JOIN users u ON u.id = s.user_id
           LEFT JOIN listings l ON l.user_id = s.user_id AND l.status = :active
          WHERE s.user_id > :lastUserId
            AND u.email_verified_at IS NOT NULL AND u.suspended_at IS NULL AND u.emails_enabled = :yes
            AND (s.new_swaps = :yes OR EXISTS (SELECT 1 FROM saved_searches ss WHERE ss.user_id = s.user_id AND ss.alert = :yes))
          ORDER BY s.user_id
          LIMIT :limit`,
          {
            type: QueryTypes.SELECT,
            replacements: { active: LISTING_STATUS.ACTIVE, lastUserId, yes: true, limit: config.alerts.batchSize },
          },
        )
      ).map((r): Candidate => ({
        userId: Number(r.user_id),
        newSwaps: flag(r.new_swaps),
        lastSentDay: (r.last_sent_day as string | null) ?? null,
        email: String(r.email),
        username: String(r.username),
        locale: r.locale as Locale,
        listingId: r.listing_id === null || r.listing_id === undefined ? null : Number(r.listing_id),
      }));
      if (batch.length === 0) break;
      lastUserId = batch[batch.length - 1].userId;
      result.checked += batch.length;
      // Already had today's e-mail: nothing is looked at, so nothing is used up.
      const due = batch.filter((c) => c.lastSentDay !== today);
      if (due.length > 0) await handleBatch(due);
      if (!dryRun && !(await lease.renew())) throw new Error('lost the alerts lock during the run');
      if (deps.signal?.aborted) throw new Error('stopped by shutdown after a finished batch');
    }
    logger.info({ checked: result.checked, sent: result.sent, dryRun }, 'alerts finished');
    return result;
  } catch (err) {
    const error = describeError(err);
    const stack = ((err as Error)?.stack ?? '').split('\n').slice(1).join('\n');
    logger.error({ sent: result.sent, err: { name: (err as Error)?.name, stack }, error }, 'alerts failed');
    return { ...result, outcome: 'failed', error };
  } finally {
    await lease.release();
  }

  async function handleBatch(due: Candidate[]): Promise<void> {
    // New swaps, for the tenants who asked for them and have an active listing.
    const swapListings = due.filter((c) => c.newSwaps && c.listingId !== null).map((c) => c.listingId!);
    const suggestions = await suggestionsFor(sequelize, swapListings, { unseen: true });
    const byListing = new Map<number, Suggestion[]>();
    for (const s of suggestions) {
      let list = byListing.get(s.listingId);
      if (!list) byListing.set(s.listingId, (list = []));
      list.push(s);
    }

    // New listings for the saved searches with their alert on.
    const searches = await SavedSearch.findAll({
      where: { userId: { [Op.in]: due.map((c) => c.userId) }, alert: true },
      attributes: ['id', 'userId', 'name', 'filters', 'seenListingId'],
      order: [['id', 'ASC']],
    });
    const matched = new Map<number, number[]>(); // search id → listing ids
    for (const s of searches) {
      const filters = parseSavedFilters(s.filters);
      const pool = filters.districts.length === 0 ? fresh : filters.districts.flatMap((d) => byDistrict.get(d) ?? []);
      const ids = pool
        .filter((l) => l.id > s.seenListingId && l.userId !== s.userId && matchesFilters(filters, l))
        .map((l) => l.id);
      matched.set(s.id, ids);
    }
    const nothingNew: number[] = [];
    const outgoing: Outgoing[] = [];
    for (const c of due) {
      const swaps = c.listingId !== null ? (byListing.get(c.listingId) ?? []) : [];
      const mine = searches.filter((s) => s.userId === c.userId);
      const listingIds = new Set<number>();
      const news: SearchNews[] = [];
      for (const s of mine) {
        const untold = matched.get(s.id) ?? [];
        // A listing that fits two of my searches is one new listing, counted once.
        const firstTime = untold.filter((id) => !listingIds.has(id));
        for (const id of untold) listingIds.add(id);
        if (firstTime.length > 0)
          news.push({ id: s.id, name: s.name, filters: parseSavedFilters(s.filters), count: firstTime.length });
      }
      // "Not interested" ones are not news; an e-mail that goes out notes them as told too.
      const shown = swaps.filter((s) => !s.hidden);
      const counts = {
        pairs: shown.filter((s) => s.kind === 'pair').length,
        rings: shown.filter((s) => s.kind === 'ring').length,
        listings: listingIds.size,
      };
      if (counts.pairs + counts.rings + counts.listings === 0) {
        nothingNew.push(...mine.filter((s) => s.seenListingId < ceiling).map((s) => s.id));
        continue;
      }
      if (dryRun) {
        count(counts);
        continue;
      }
      outgoing.push({
        candidate: c,
        counts,
        mail: await render(c, counts, news),
        items: swaps.map((s) => ({ userId: c.userId, kind: s.kind, a: s.a, b: s.b, c: s.c })),
        searchIds: mine.map((s) => s.id),
      });
    }
    if (outgoing.length > 0) await send(outgoing);
    // Searches with nothing new move on, so the next run starts after today's listings.
    if (!dryRun && nothingNew.length > 0) {
      await SavedSearch.update(
        { seenListingId: ceiling },
        { where: { id: { [Op.in]: nothingNew }, seenListingId: { [Op.lt]: ceiling } } },
      );
    }
  }

  function count(counts: Counts): void {
    result.sent += 1;
    result.pairs += counts.pairs;
    result.rings += counts.rings;
    result.listings += counts.listings;
  }

  async function render(c: Candidate, counts: Counts, news: SearchNews[]): Promise<OutgoingMail> {
    const unsubscribeLink = `${config.baseUrl}/alerts/unsubscribe?${alertUnsubscribeQuery(config.sessionSecret, c.userId, clock())}`;
    const mail = await renderMail(
      'alert',
      c.email,
      c.locale,
      {
        username: c.username,
        ...counts,
        searches: news.map((n) => ({ title: n.name || describeFilters(n.filters, c.locale), count: n.count })),
        matchesLink: `${config.baseUrl}/matches`,
        searchesLink: `${config.baseUrl}/account#saved-searches`,
        unsubscribeLink,
      },
      config.org.name,
      { subjectKey: 'alerts:email.subject' },
    );
    // RFC 8058 one-click unsubscribe: mail programs offer a button that POSTs to the link.
    return {
      ...mail,
      headers: { 'List-Unsubscribe': `<${unsubscribeLink}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    };
  }

  /**
   * One transaction for the batch's e-mails: the tenants whose day is still free are
   * claimed (rows locked on PostgreSQL; SQLite has one writer), and only for them the
   * items are recorded, the searches moved on and the mail queued.
   */
  async function send(outgoing: Outgoing[]): Promise<void> {
    await deps.hooks?.beforeSend?.(outgoing.map((o) => o.candidate.userId));
    const sentNow = await sequelize.transaction(async (transaction) => {
      const rows = await AlertSetting.findAll({
        attributes: ['userId', 'lastSentDay'],
        where: { userId: { [Op.in]: outgoing.map((o) => o.candidate.userId) } },
        transaction,
        lock: db.dialect === 'postgres' ? Transaction.LOCK.UPDATE : undefined,
      });
      const free = new Set(rows.filter((r) => r.lastSentDay !== today).map((r) => r.userId));
      const mine = outgoing.filter((o) => free.has(o.candidate.userId));
      if (mine.length === 0) return [];
      const ids = mine.map((o) => o.candidate.userId);
      // The daily cap, claimed: a run that got here second finds the day taken.
      await AlertSetting.update(
        { lastSentDay: today, lastSentAt: now },
        {
          where: { userId: { [Op.in]: ids }, [Op.or]: [{ lastSentDay: null }, { lastSentDay: { [Op.ne]: today } }] },
          transaction,
        },
      );
      await recordItems(
        sequelize,
        mine.flatMap((o) => o.items),
        now,
        transaction,
      );
      const searchIds = mine.flatMap((o) => o.searchIds);
      if (searchIds.length > 0)
        await SavedSearch.update({ seenListingId: ceiling }, { where: { id: { [Op.in]: searchIds } }, transaction });
      await enqueueMails(
        mine.map((o) => ({ mail: o.mail, userId: o.candidate.userId })),
        { purpose: 'alert', now: clock(), transaction },
      );
      return mine;
    });
    for (const o of sentNow) {
      count(o.counts);
      logger.info({ userId: o.candidate.userId, mail: 'alert' }, 'mail queued');
    }
  }
}
