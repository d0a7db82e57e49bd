import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QueryTypes } from 'sequelize';
import { runSeed } from '../jobs/seed';
import { createDb } from '../models';
import { migrate } from '../models/migrate';
import { loadConfig } from '../server/config';
import { refreshListingEdges } from '../server/services/match-graph';
import { refreshListingRings, RING_LIMITS } from '../server/services/rings';

// npm run bench -- listing-change [--tenants N] [--listings N] [--changes N]
// What one listing change costs the match graph: a tenant edits their listing (here: the
// rent goes up by one euro, which can change fits into their home and end pairs with
// those whose maximum rent it passes), and in the same
// transaction its pairs (match_edges) and its three-way swaps (match_rings) are brought
// up to date — what every create, edit, pause, resume, hide and restore does. Measured
// on a freshly seeded SQLite board, each change its own committed transaction, the
// listings spread over the whole id range. Target: median under 50 ms.

export interface ListingChangeResult {
  tenants: number;
  listings: number;
  edges: number;
  rings: number;
  seedSeconds: number;
  ringRebuildSeconds: number;
  changes: number;
  whole: Stats;
  ringsOnly: Stats;
  pass: boolean;
}

interface Stats {
  median: number;
  p90: number;
  max: number;
}

export const CHANGE_TARGET_MS = 50;

function stats(ms: number[]): Stats {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { median: at(0.5), p90: at(0.9), max: sorted[sorted.length - 1]! };
}

export async function runListingChangeBench(opts: {
  tenants: number;
  listings: number;
  changes: number;
  out?: (l: string) => void;
}): Promise<ListingChangeResult> {
  const out = opts.out ?? console.log;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bostadsbyte-change-'));
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: `sqlite:${path.join(tmp, 'bench.sqlite')}`,
    DATA_DIR: tmp,
    LOG_LEVEL: 'warn',
    SESSION_SECRET: 'bench-secret-bench-secret-bench-secret-00',
  });
  const db = createDb(config);
  try {
    await migrate(db);
    out(`Seeding ${opts.tenants} tenants, ${opts.listings} listings (with the match graph and the three-way swaps)…`);
    let ringRebuildSeconds = 0;
    const seeded = await runSeed(
      { tenants: opts.tenants, listings: opts.listings, messages: 0, seed: 42, benchConversations: 0, force: true },
      {
        db,
        config,
        log: (line) => {
          const m = /three-way swaps: \d+ rings in ([\d.]+) s/.exec(line);
          if (m) ringRebuildSeconds = Number(m[1]);
          out(`  ${line}`);
        },
      },
    );
    const { sequelize } = db;
    const count = async (sql: string) => Number((await sequelize.query<{ n: number }>(sql, { type: QueryTypes.SELECT }))[0]!.n);
    const edges = await count('SELECT COUNT(*) AS n FROM match_edges');
    const rings = await count('SELECT COUNT(*) AS n FROM match_rings');
    const ids = (
      await sequelize.query<{ id: number }>("SELECT id FROM listings WHERE status = 'active' ORDER BY id", {
        type: QueryTypes.SELECT,
      })
    ).map((r) => Number(r.id));
    const step = Math.max(1, Math.floor(ids.length / opts.changes));
    const picked = ids.filter((_id, i) => i % step === 0).slice(0, opts.changes);
    // A few changes first, so the measured ones do not pay for a cold page cache.
    for (const id of picked.slice(0, 5)) await sequelize.transaction((t) => refreshListingEdges(sequelize, id, t));
    const whole: number[] = [];
    const ringsOnly: number[] = [];
    for (const id of picked) {
      const started = process.hrtime.bigint();
      await sequelize.transaction(async (transaction) => {
        await sequelize.query('UPDATE listings SET rent_eur = rent_eur + 1 WHERE id = :id', {
          replacements: { id },
          transaction,
        });
        await refreshListingEdges(sequelize, id, transaction);
      });
      whole.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    for (const id of picked) {
      const started = process.hrtime.bigint();
      await sequelize.transaction((transaction) => refreshListingRings(id, transaction));
      ringsOnly.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    const result: ListingChangeResult = {
      tenants: seeded.tenants,
      listings: seeded.listings,
      edges,
      rings,
      seedSeconds: seeded.ms / 1000,
      ringRebuildSeconds,
      changes: picked.length,
      whole: stats(whole),
      ringsOnly: stats(ringsOnly),
      pass: stats(whole).median < CHANGE_TARGET_MS,
    };
    return result;
  } finally {
    await db.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export function formatListingChangeTable(r: ListingChangeResult): string {
  const ms = (n: number) => n.toFixed(1);
  return [
    `SQLite, ${r.tenants} tenants, ${r.listings} listings: ${r.edges} match-graph edges, ${r.rings} three-way swaps ` +
      `(rebuilt in ${r.ringRebuildSeconds.toFixed(1)} s; search bound ${RING_LIMITS.edges} × ${RING_LIMITS.edges}, best ${RING_LIMITS.keep} kept); ${r.changes} changes`,
    '',
    '| measure | median ms | p90 ms | max ms | target | result |',
    '|---|---:|---:|---:|---|---|',
    `| one listing change: edit + its pairs + its three-way swaps, committed | ${ms(r.whole.median)} | ${ms(r.whole.p90)} | ${ms(r.whole.max)} | median < ${CHANGE_TARGET_MS} ms | ${r.pass ? 'pass' : 'FAIL'} |`,
    `| of which could be the three-way swaps alone (measured apart) | ${ms(r.ringsOnly.median)} | ${ms(r.ringsOnly.p90)} | ${ms(r.ringsOnly.max)} | | |`,
  ].join('\n');
}
