import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { createDb } from '../models';
import { migrate } from '../models/migrate';
import { loadConfig } from '../server/config';
import { DEMO_PASSWORD, runSeed } from '../jobs/seed';
import { ROOT } from '../server/paths';

// npm run bench: seeds a fresh database at the size of a large housing company, starts
// the real server in its own process, and measures each page at 32 concurrent
// connections with autocannon, against a bare route in the same process (the ceiling).

export interface WebBenchOptions {
  tenants: number;
  listings: number;
  messages: number;
  conversations: number;
  seconds: number;
  connections: number;
  /** postgres://… to run against PostgreSQL (the database is emptied first); else a fresh SQLite file. */
  databaseUrl?: string;
  /** Start the server from the TypeScript sources (tests) instead of dist/ (the real figures). */
  fromSource?: boolean;
  out?: (line: string) => void;
}

export interface Row {
  name: string;
  kind: 'ceiling' | 'anonymous' | 'signed-in';
  reqPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  ratio: number;
  target: number | null;
  pass: boolean;
}

export interface WebBenchResult {
  rows: Row[];
  peakRssMb: number;
  rssPass: boolean;
  seedSeconds: number;
  database: string;
}

function freePort(): number {
  return 20_000 + Math.floor(Math.random() * 20_000);
}

async function waitFor(url: string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server did not answer ${url}`);
}

function rssMb(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return kb / 1024;
  } catch {
    return 0;
  }
}

async function signIn(base: string, username: string, password: string): Promise<string> {
  const page = await fetch(`${base}/login`);
  const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0];
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1];
  const res = await fetch(`${base}/login`, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ _csrf: csrf, username, password }).toString(),
  });
  if (res.status !== 303) throw new Error(`bench sign-in failed: ${res.status}`);
  return (res.headers.get('set-cookie') ?? '').split(';')[0];
}

async function load(url: string, opts: { connections: number; seconds: number; cookie?: string; method?: 'GET' | 'POST'; body?: string }) {
  const expectRedirect = opts.method === 'POST';
  const result = await autocannon({
    url,
    connections: opts.connections,
    duration: opts.seconds,
    method: opts.method ?? 'GET',
    headers: {
      ...(opts.cookie ? { cookie: opts.cookie } : {}),
      ...(opts.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    body: opts.body,
  });
  return {
    reqPerSec: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    // A form post answers 303 See Other; that is its success.
    non2xx: expectRedirect ? result.non2xx - (result.statusCodeStats?.['303']?.count ?? 0) : result.non2xx,
  };
}

export async function runWebBench(opts: WebBenchOptions): Promise<WebBenchResult> {
  const out = opts.out ?? console.log;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bostadsbyte-bench-'));
  const databaseUrl = opts.databaseUrl ?? `sqlite:${path.join(tmp, 'bench.sqlite')}`;
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    DATA_DIR: tmp,
    MAIL_OUTBOX_DIR: path.join(tmp, 'outbox'),
    LOG_LEVEL: 'warn',
    PURGE_ENABLED: 'false',
    BENCH_BARE_ROUTE: 'true',
    SESSION_SECRET: 'bench-secret-bench-secret-bench-secret-00',
    // The benchmark is one client hammering the server: the anti-scraping and sending
    // limits would answer 429 after a few hundred requests and measure nothing.
    SEARCH_PER_IP_PER_MINUTE: '100000000',
    MESSAGES_PER_HOUR: '100000000',
    NEW_CONVERSATIONS_PER_DAY: '100000000',
  };
  const config = loadConfig(env);
  const db = createDb(config);
  if (db.dialect === 'postgres') await db.sequelize.query('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;');
  await migrate(db);
  out(`Seeding ${opts.tenants} tenants, ${opts.listings} listings, ${opts.messages} messages on ${db.dialect}…`);
  const seeded = await runSeed(
    // force: the database was emptied just above, and the server under test runs as production.
    { tenants: opts.tenants, listings: opts.listings, messages: opts.messages, seed: 42, benchConversations: opts.conversations, force: true },
    { db, config },
  );
  out(`  seeded in ${(seeded.ms / 1000).toFixed(1)} s`);
  const [conv] = (await db.sequelize.query(
    `SELECT cp.conversation_id AS id FROM conversation_participants cp JOIN users u ON u.id = cp.user_id
     WHERE u.username_lower = 'demo_bench' ORDER BY cp.last_message_at DESC LIMIT 1`,
    { plain: false, raw: true },
  ))[0] as { id: number }[];
  const [listing] = (await db.sequelize.query(`SELECT id FROM listings WHERE status = 'active' ORDER BY id LIMIT 1 OFFSET ${Math.min(100, Math.floor(opts.listings / 2))}`, { raw: true }))[0] as { id: number }[];
  const [districts] = (await db.sequelize.query(
    `SELECT district, COUNT(*) AS n FROM listings WHERE status = 'active' GROUP BY district ORDER BY n DESC LIMIT 1`, { raw: true },
  )) as [{ district: string }[], unknown];
  await db.close();

  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const entry = opts.fromSource
    ? ['--require', 'tsx/cjs', path.join(ROOT, 'server', 'index.ts')]
    : [path.join(ROOT, 'dist', 'server', 'index.js')];
  const server: ChildProcess = spawn(process.execPath, entry, {
    env: { ...env, PORT: String(port) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, rssMb(server.pid!));
  }, 100);
  try {
    await waitFor(`${base}/healthz`, 30_000);
    const cookie = await signIn(base, 'demo_bench', DEMO_PASSWORD);
    const page = await fetch(`${base}/messages/${conv.id}`, { headers: { cookie } });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
    const common = { connections: opts.connections, seconds: opts.seconds };
    // Warm up the caches and the JIT before measuring anything.
    await load(`${base}/listings`, { ...common, seconds: 2 });
    const plan: { name: string; kind: Row['kind']; run: () => ReturnType<typeof load> }[] = [
      { name: 'bare route (ceiling)', kind: 'ceiling', run: () => load(`${base}/bench/bare`, common) },
      { name: 'GET /listings, two filters', kind: 'anonymous', run: () => load(`${base}/listings?district=${districts[0].district}&rooms_min=2`, common) },
      { name: 'GET /listings?sort=rent&page=50', kind: 'anonymous', run: () => load(`${base}/listings?sort=rent&page=50`, common) },
      { name: 'GET /listings/:id', kind: 'anonymous', run: () => load(`${base}/listings/${listing.id}`, common) },
      { name: 'GET /matches (signed in)', kind: 'signed-in', run: () => load(`${base}/matches`, { ...common, cookie }) },
      { name: 'GET /messages (200 conversations)', kind: 'signed-in', run: () => load(`${base}/messages`, { ...common, cookie }) },
      {
        name: 'POST /messages/:id (signed in)', kind: 'signed-in',
        run: () => load(`${base}/messages/${conv.id}`, { ...common, cookie, method: 'POST', body: new URLSearchParams({ _csrf: csrf, body: 'Would Saturday suit you?' }).toString() }),
      },
    ];
    const rows: Row[] = [];
    let ceiling = 0;
    for (const step of plan) {
      const r = await step.run();
      if (step.kind === 'ceiling') ceiling = r.reqPerSec;
      const ratio = ceiling > 0 ? r.reqPerSec / ceiling : 0;
      const target = step.kind === 'anonymous' ? 0.4 : step.kind === 'signed-in' ? 0.3 : null;
      const pass = r.errors === 0 && r.non2xx === 0 && (target === null || (ratio >= target && r.p99 < 100));
      rows.push({ name: step.name, kind: step.kind, ...r, ratio, target, pass });
      out(`  ${step.name}: ${r.reqPerSec.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms${r.non2xx ? `, ${r.non2xx} non-2xx` : ''}`);
    }
    return { rows, peakRssMb: peakRss, rssPass: peakRss < 256, seedSeconds: seeded.ms / 1000, database: db.dialect };
  } finally {
    clearInterval(sampler);
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    if (!opts.databaseUrl) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export function formatWebTable(result: WebBenchResult): string {
  const lines = [
    `| page | req/s | p50 ms | p99 ms | ratio to ceiling | target | result |`,
    `|---|---:|---:|---:|---:|---|---|`,
    ...result.rows.map((r) =>
      `| ${r.name} | ${r.reqPerSec.toFixed(0)} | ${r.p50} | ${r.p99} | ${(r.ratio * 100).toFixed(0)} % | ${r.target === null ? '—' : `≥ ${r.target * 100} %, p99 < 100 ms`} | ${r.pass ? 'pass' : 'FAIL'} |`),
    `| server peak RSS | ${result.peakRssMb.toFixed(0)} MB | | | | < 256 MB | ${result.rssPass ? 'pass' : 'FAIL'} |`,
  ];
  return lines.join('\n');
}
