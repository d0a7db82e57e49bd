import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDb, type Db } from '../models';
import { migrate } from '../models/migrate';
import { loadConfig, type Config } from '../server/config';
import { runSeed } from '../jobs/seed';
import { ROOT } from '../server/paths';
import { addMonthsClamped } from '../server/services/retention';

// npm run bench -- purge: a database with a million accounts (three in four passive, with
// listings and conversations), purged by the real job in its own process, then the same
// data deleted by one hand-written SQL statement — the floor — for comparison.

export interface PurgeBenchOptions {
  accounts: number;
  listings: number;
  messages: number;
  databaseUrl?: string;
  /** Run the worker from the TypeScript sources (tests) instead of dist/ (the real figures). */
  fromSource?: boolean;
  out?: (line: string) => void;
}

export interface PurgeBenchResult {
  accounts: number;
  deleted: number;
  jobWallMs: number;
  jobAccountsPerSec: number;
  jobPeakRssMb: number;
  maxTransactionMs: number;
  transactions: number;
  floorDeleted: number;
  floorWallMs: number;
  floorAccountsPerSec: number;
  ratio: number;
  checks: { name: string; pass: boolean; value: string }[];
}

const NOW = new Date('2026-11-28T03:30:00Z');

async function seedFresh(config: Config, opts: PurgeBenchOptions): Promise<Db> {
  const db = createDb(config);
  if (db.dialect === 'postgres') await db.sequelize.query('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;');
  await migrate(db);
  await runSeed(
    // force: the database was emptied just above, and the job under test runs as production.
    {
      tenants: opts.accounts,
      listings: opts.listings,
      messages: opts.messages,
      seed: 99,
      passiveShare: 0.75,
      benchConversations: 0,
      force: true,
      matchGraph: false,
    },
    { db, config, now: NOW },
  );
  return db;
}

/** Deletes the same accounts with one statement; foreign keys carry the same cascade. */
async function floorDelete(db: Db, config: Config): Promise<{ deleted: number; ms: number }> {
  const cutoff = addMonthsClamped(NOW, -config.purge.retentionMonths);
  const countUsers = async () =>
    Number(((await db.sequelize.query('SELECT COUNT(*) AS n FROM users', { plain: true })) as { n: number | string }).n);
  const before = await countUsers();
  const started = Date.now();
  await db.sequelize.transaction(async (transaction) => {
    if (db.dialect === 'postgres') {
      // PostgreSQL checks the foreign keys of one statement against the rows as they
      // were when it began: a conversation reached by two cascades in the same DELETE
      // (its listing's SET NULL and its starter's SET NULL) fails the listing check.
      // Loosening the listing link first is the least hand-written SQL that works.
      await db.sequelize.query(
        `UPDATE conversations SET listing_id = NULL WHERE listing_id IN (SELECT l.id FROM listings l JOIN users u ON u.id = l.user_id WHERE u.role <> 'admin' AND u.last_login_at < :cutoff)`,
        { replacements: { cutoff }, transaction },
      );
    }
    await db.sequelize.query(`DELETE FROM users WHERE role <> 'admin' AND last_login_at < :cutoff`, {
      replacements: { cutoff },
      transaction,
    });
    await db.sequelize.query(
      `DELETE FROM conversations WHERE NOT EXISTS (SELECT 1 FROM conversation_participants p WHERE p.conversation_id = conversations.id)`,
      { transaction },
    );
  });
  await db.checkpoint();
  const ms = Date.now() - started;
  return { deleted: before - (await countUsers()), ms };
}

export async function runPurgeBench(opts: PurgeBenchOptions): Promise<PurgeBenchResult> {
  const out = opts.out ?? console.log;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bostadsbyte-purge-bench-'));
  const jobFile = path.join(tmp, 'job.sqlite');
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    DATA_DIR: tmp,
    LOG_LEVEL: 'warn',
    DATABASE_URL: opts.databaseUrl ?? `sqlite:${jobFile}`,
    SESSION_SECRET: 'bench-secret-bench-secret-bench-secret-00',
  };
  const config = loadConfig(env);
  try {
    out(`Building ${opts.accounts} accounts (75 % passive) on ${config.database.dialect}…`);
    let started = Date.now();
    let db = await seedFresh(config, opts);
    out(`  built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    let floorFile: string | undefined;
    if (db.dialect === 'sqlite') {
      await db.checkpoint();
      await db.close();
      floorFile = path.join(tmp, 'floor.sqlite');
      fs.copyFileSync(jobFile, floorFile);
    } else {
      await db.close();
    }

    out('Running the purge job in its own process…');
    const worker = opts.fromSource
      ? ['--require', 'tsx/cjs', path.join(ROOT, 'bench', 'purge-worker.ts')]
      : [path.join(ROOT, 'dist', 'bench', 'purge-worker.js')];
    const job = JSON.parse(
      execFileSync(process.execPath, [...worker, NOW.toISOString()], { env, encoding: 'utf8', maxBuffer: 1 << 20 })
        .trim()
        .split('\n')
        .pop()!,
    ) as {
      deleted: number;
      wallMs: number;
      maxRssMb: number;
      transactions: number;
      maxTransactionMs: number;
    };
    out(`  deleted ${job.deleted} in ${(job.wallMs / 1000).toFixed(1)} s`);

    out('Deleting the same accounts with one hand-written SQL DELETE (the floor)…');
    if (floorFile) {
      db = createDb(loadConfig({ ...env, DATABASE_URL: `sqlite:${floorFile}` }));
    } else {
      started = Date.now();
      db = await seedFresh(config, opts); // the seed is deterministic: the same data again
    }
    const floor = await floorDelete(db, config);
    await db.close();
    out(`  deleted ${floor.deleted} in ${(floor.ms / 1000).toFixed(1)} s`);

    const jobRate = job.deleted / (job.wallMs / 1000);
    const floorRate = floor.deleted / (floor.ms / 1000);
    const ratio = jobRate / floorRate;
    return {
      accounts: opts.accounts,
      deleted: job.deleted,
      jobWallMs: job.wallMs,
      jobAccountsPerSec: jobRate,
      jobPeakRssMb: job.maxRssMb,
      maxTransactionMs: job.maxTransactionMs,
      transactions: job.transactions,
      floorDeleted: floor.deleted,
      floorWallMs: floor.ms,
      floorAccountsPerSec: floorRate,
      ratio,
      checks: [
        {
          name: 'same accounts deleted as the floor',
          pass: job.deleted === floor.deleted,
          value: `${job.deleted} / ${floor.deleted}`,
        },
        { name: 'rate ≥ 50 % of the hand-written SQL', pass: ratio >= 0.5, value: `${(ratio * 100).toFixed(0)} %` },
        { name: 'peak RSS < 256 MB', pass: job.maxRssMb < 256, value: `${job.maxRssMb.toFixed(0)} MB` },
        { name: 'longest transaction < 1 s', pass: job.maxTransactionMs < 1000, value: `${job.maxTransactionMs.toFixed(0)} ms` },
      ],
    };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export function formatPurgeTable(r: PurgeBenchResult): string {
  return [
    `| measure | purge job | hand-written SQL DELETE |`,
    `|---|---:|---:|`,
    `| accounts deleted (of ${r.accounts}) | ${r.deleted} | ${r.floorDeleted} |`,
    `| wall time | ${(r.jobWallMs / 1000).toFixed(1)} s | ${(r.floorWallMs / 1000).toFixed(1)} s |`,
    `| accounts/s | ${r.jobAccountsPerSec.toFixed(0)} | ${r.floorAccountsPerSec.toFixed(0)} |`,
    `| peak RSS of the job | ${r.jobPeakRssMb.toFixed(0)} MB | |`,
    `| transactions, longest | ${r.transactions}, ${r.maxTransactionMs.toFixed(0)} ms | 1 |`,
    '',
    `| target | value | result |`,
    `|---|---|---|`,
    ...r.checks.map((c) => `| ${c.name} | ${c.value} | ${c.pass ? 'pass' : 'FAIL'} |`),
  ].join('\n');
}
