import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QueryTypes } from 'sequelize';
import { runAlerts, type AlertsResult } from '../jobs/alerts';
import { runSeed, rng } from '../jobs/seed';
import { createDb, type Db } from '../models';
import { Listing } from '../models/listing';
import { ListingWantedDistrict } from '../models/listing-wanted-district';
import { migrate } from '../models/migrate';
import { loadConfig } from '../server/config';
import { createLogger } from '../server/logger';
import { DISTRICTS } from '../server/services/districts';
import { refreshListingEdges } from '../server/services/match-graph';

// npm run bench -- alerts [--tenants N] [--listings N] [--database postgres://…]: the daily
// alert job (jobs/alerts.ts, the function the server's schedule and the CLI run) on the
// seeded board — 100,000 tenants and 50,000 listings with their match graph by default.
// Every tenant has opted in to new swaps (the worst case: each listing's swaps are read),
// one in five has a saved search with its alert on (a third of them without a district),
// and the searches' last look was 1 % of the listings ago (a day's new listings). Three runs:
//   1. the first run: every existing swap is new (nobody was told anything yet), so nearly
//      every tenant with a listing gets an e-mail — the heaviest day there can be;
//   2. the same day again: everyone has had today's e-mail, nothing is read;
//   3. the next day, after 1 % more listings were posted: the ordinary daily run.
// The e-mails are queued (delivering them is the mail bench's part). Target: each run
// under 60 s.

export interface AlertBenchOptions {
  tenants: number;
  listings: number;
  databaseUrl?: string;
  out?: (line: string) => void;
}

export interface AlertBenchRow {
  run: string;
  result: AlertsResult;
  ms: number;
  /** CPU time of this process (user + system) during the run: SQLite's work included. */
  cpuMs: number;
  queued: number;
  pass: boolean;
}

export interface AlertBenchResult {
  tenants: number;
  listings: number;
  edges: number;
  seedMs: number;
  rows: AlertBenchRow[];
  /** RSS when the runs began: the seed's leftovers (glibc keeps freed memory), not the job's. */
  startRssMb: number;
  peakRssMb: number;
}

const TARGET_MS = 60_000;
const DAY1 = new Date('2027-01-11T05:00:00Z');
const DAY2 = new Date('2027-01-12T05:00:00Z');

async function count(db: Db, sql: string): Promise<number> {
  const [row] = await db.sequelize.query<{ n: number | string }>(sql, { type: QueryTypes.SELECT });
  return Number(row?.n ?? 0);
}

/** Opts everyone in and gives one tenant in five a saved search with its alert on. */
async function optIn(db: Db, now: Date): Promise<void> {
  const { sequelize } = db;
  await sequelize.query(
    `INSERT INTO alert_settings (user_id, new_swaps, last_sent_day, last_sent_at, created_at, updated_at)
     SELECT id, :yes, NULL, NULL, :now, :now FROM users WHERE role = 'tenant'`,
    { replacements: { yes: true, now } },
  );
  const ceiling = await count(db, 'SELECT MAX(id) AS n FROM listings');
  const users = await sequelize.query<{ id: number }>("SELECT id FROM users WHERE role = 'tenant' ORDER BY id", {
    type: QueryTypes.SELECT,
  });
  const random = rng(5);
  const codes = DISTRICTS.map((d) => d.code);
  const rows: string[] = [];
  const replacements: Record<string, unknown> = { yes: true, now, seen: Math.max(0, ceiling - Math.ceil(ceiling / 100)) };
  const flush = async () => {
    if (rows.length === 0) return;
    await sequelize.query(
      `INSERT INTO saved_searches (user_id, name, filters, alert, seen_listing_id, created_at, updated_at) VALUES ${rows.join(',')}`,
      { replacements },
    );
    rows.length = 0;
  };
  for (const u of users) {
    if (!random.chance(0.2)) continue;
    const districts = random.chance(0.33)
      ? []
      : Array.from({ length: 1 + Math.floor(random.next() * 3) }, () => random.pick(codes));
    const filters = JSON.stringify({
      districts: [...new Set(districts)].sort(),
      roomsMin: 1 + Math.floor(random.next() * 3),
      lift: false,
      balcony: random.chance(0.2),
      sauna: false,
    });
    rows.push(`(${Number(u.id)}, '', '${filters.replace(/'/g, "''")}', :yes, :seen, :now, :now)`);
    if (rows.length >= 1000) await flush();
  }
  await flush();
}

/** Posts `n` new listings (copies of existing flats) for tenants without one, as the listing service does. */
async function postListings(db: Db, n: number): Promise<void> {
  const { sequelize } = db;
  const owners = await sequelize.query<{ id: number }>(
    "SELECT u.id FROM users u WHERE u.role = 'tenant' AND NOT EXISTS (SELECT 1 FROM listings l WHERE l.user_id = u.id) ORDER BY u.id LIMIT :n",
    { type: QueryTypes.SELECT, replacements: { n } },
  );
  const models = await Listing.findAll({ order: [['id', 'ASC']], limit: owners.length });
  for (let i = 0; i < owners.length; i += 1) {
    const model = models[i % models.length];
    const wanted = await ListingWantedDistrict.findAll({ where: { listingId: model.id } });
    await sequelize.transaction(async (transaction) => {
      const { id: _id, createdAt: _c, updatedAt: _u, ...fields } = model.get({ plain: true });
      const created = await Listing.create({ ...fields, userId: Number(owners[i].id), status: 'active' }, { transaction });
      await ListingWantedDistrict.bulkCreate(
        wanted.map((w) => ({ listingId: created.id, district: w.district })),
        { transaction },
      );
      await refreshListingEdges(sequelize, created.id, transaction);
    });
  }
}

export async function runAlertBench(opts: AlertBenchOptions): Promise<AlertBenchResult> {
  const out = opts.out ?? ((l: string) => console.log(l));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bostadsbyte-alertbench-'));
  const config = loadConfig({
    NODE_ENV: 'production',
    DATA_DIR: tmp,
    SESSION_SECRET: 'bench-secret-bench-secret-bench-secret-1234',
    DATABASE_URL: opts.databaseUrl ?? `sqlite:${path.join(tmp, 'alerts.sqlite')}`,
    BASE_URL: 'https://bostadsbyte.example.fi',
  });
  const logger = createLogger('warn');
  const db = createDb(config);
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 200);
  try {
    if (db.dialect === 'postgres') await db.sequelize.query('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;');
    await migrate(db);
    out(`Seeding ${opts.tenants} tenants and ${opts.listings} listings with the match graph…`);
    const t0 = Date.now();
    const seeded = await runSeed(
      {
        tenants: opts.tenants,
        listings: opts.listings,
        messages: Math.min(10_000, opts.tenants),
        seed: 11,
        force: true,
        benchConversations: 0,
        passiveShare: 0,
      },
      { db, config, now: new Date('2027-01-10T12:00:00Z') },
    );
    await optIn(db, new Date('2027-01-10T12:00:00Z'));
    await db.optimize();
    const seedMs = Date.now() - t0;
    out(
      `Seeded in ${(seedMs / 1000).toFixed(1)} s (${seeded.matchEdges} edges); ${await count(db, 'SELECT COUNT(*) AS n FROM saved_searches')} saved searches.`,
    );
    peakRss = process.memoryUsage().rss;
    const startRss = peakRss;

    const rows: AlertBenchRow[] = [];
    const measure = async (run: string, now: Date) => {
      const before = await count(db, "SELECT COUNT(*) AS n FROM mail_queue WHERE purpose = 'alert'");
      const started = Date.now();
      const cpu = process.cpuUsage();
      const result = await runAlerts({ now, db, logger, config });
      const ms = Date.now() - started;
      const used = process.cpuUsage(cpu);
      const cpuMs = Math.round((used.user + used.system) / 1000);
      const queued = (await count(db, "SELECT COUNT(*) AS n FROM mail_queue WHERE purpose = 'alert'")) - before;
      rows.push({ run, result, ms, cpuMs, queued, pass: result.outcome === 'ok' && ms < TARGET_MS });
      out(`${run}: ${(ms / 1000).toFixed(1)} s, ${result.sent} e-mails`);
    };
    await measure('1. first run (every existing swap is new)', DAY1);
    await measure('2. the same day again', DAY1);
    const fresh = Math.max(1, Math.round(opts.listings / 100));
    out(`Posting ${fresh} new listings…`);
    await postListings(db, fresh);
    await measure(`3. next day, after ${fresh} new listings`, DAY2);
    return {
      tenants: opts.tenants,
      listings: opts.listings,
      edges: seeded.matchEdges,
      seedMs,
      rows,
      startRssMb: Math.round(startRss / 1048576),
      peakRssMb: Math.round(peakRss / 1048576),
    };
  } finally {
    clearInterval(sampler);
    await db.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export function formatAlertTable(r: AlertBenchResult): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const lines = [
    `Alert job on ${n(r.tenants)} tenants, ${n(r.listings)} listings, ${n(r.edges)} match-graph edges (everyone opted in to new swaps, one in five with a saved search):`,
    '',
    '| run | tenants looked at | e-mails queued | new two-way swaps | new three-way swaps | new listings (saved searches) | wall time | CPU time | target | result |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|---|',
  ];
  for (const row of r.rows) {
    lines.push(
      `| ${row.run} | ${n(row.result.checked)} | ${n(row.queued)} | ${n(row.result.pairs)} | ${n(row.result.rings)} | ${n(row.result.listings)} | ${(row.ms / 1000).toFixed(1)} s | ${(row.cpuMs / 1000).toFixed(1)} s | < 60 s | ${row.pass ? 'pass' : 'FAIL'} |`,
    );
  }
  lines.push(
    '',
    `Peak RSS of the process during the runs: ${r.peakRssMb} MB (${r.startRssMb} MB when they began, after seeding in the same process).`,
  );
  return lines.join('\n');
}
