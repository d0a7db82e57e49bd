import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { createDb } from '../models';
import { migrate } from '../models/migrate';
import { loadConfig } from '../server/config';
import { SESSION_COOKIE } from '../server/middleware/session';
import { DEMO_PASSWORD, runSeed } from '../jobs/seed';
import { ROOT } from '../server/paths';
import { FULL_CROWD, pickCrowd, type Crowd, type CrowdSize, type Visit } from './crowd';
import { freePort } from './free-port';

// npm run bench: seeds a fresh database at the size of a large housing company, starts
// the real server (NODE_ENV=production) in one or two processes of its own, and sends
// each row a crowd — hundreds of different searches and listings, many signed-in tenants
// and conversations — at 32 concurrent connections with autocannon, against a bare
// route in the same processes (the ceiling). Each row is measured twice: with the
// visitors' page cache as in production, and with it off.

export type CacheMode = 'on' | 'off';

export interface WebBenchOptions {
  tenants: number;
  listings: number;
  messages: number;
  /** demo_bench's conversations (the inbox row). */
  conversations: number;
  seconds: number;
  connections: number;
  /** postgres://… to run against PostgreSQL (the database is emptied first); else a fresh SQLite file. */
  databaseUrl?: string;
  /** App processes per table, e.g. [1, 2]: one table each (more than one needs PostgreSQL). */
  processes?: number[];
  /** Page-cache settings to measure each row with (default both). */
  cache?: CacheMode[];
  crowd?: CrowdSize;
  /** Accept-Encoding sent with every request, as a browser does ('' sends none). */
  acceptEncoding?: string;
  /** Start the server from the TypeScript sources (tests) instead of dist/ (the real figures). */
  fromSource?: boolean;
  /**
   * Keep the seeded board in this folder (SQLite's file; for PostgreSQL a marker that the
   * database holds one) and seed only when there is none yet: the full size takes minutes
   * to seed. A reused board's figures include the messages earlier runs sent.
   */
  dataDir?: string;
  out?: (line: string) => void;
}

export type RowKind = 'ceiling' | 'anonymous' | 'signed-in';

/** One row measured with one page-cache setting. */
export interface Cell {
  reqPerSec: number;
  /** req/s as a share of the ceiling (the mean of the two bare-route rows of the same server run). */
  share: number;
  p50: number;
  p99: number;
  requests: number;
  /** Socket errors, timeouts and answers other than the expected status (200, or 303 for a form post). */
  errors: number;
  /** Every status code seen, with its count. */
  statuses: Record<string, number>;
  /** Different URLs (method and path) and tenants actually requested. */
  urls: number;
  tenants: number;
  pass: boolean;
}

export interface Row {
  name: string;
  kind: RowKind;
  /** Different URLs (and tenants) the row was planned with. */
  plannedUrls: number;
  plannedTenants: number;
  cells: Partial<Record<CacheMode, Cell>>;
}

export interface Rss {
  /** Largest of the processes' resident memory once the last row had run. */
  afterMb: number;
  peakMb: number;
}

export interface WebBenchRun {
  processes: number;
  loadAverage: number[];
  /** CPU pressure at the start, % of the last minute (null where unknown). */
  cpuPressure: number | null;
  startedAt: string;
  rows: Row[];
  rss: Partial<Record<CacheMode, Rss>>;
  rssPass: boolean;
  pass: boolean;
}

export interface WebBenchResult {
  database: string;
  machine: string;
  seedSeconds: number;
  seeded: { tenants: number; listings: number; messages: number };
  connections: number;
  seconds: number;
  acceptEncoding: string;
  runs: WebBenchRun[];
}

export const TARGET_SHARE = 0.3;
/** Photos are bytes read by key and sent as they are: at least half the bare route. */
export const PHOTO_TARGET_SHARE = 0.5;
export const TARGET_P99_MS = 100;
export const TARGET_RSS_MB = 256;

/**
 * Share of the last minute in which some runnable task waited for a CPU (Linux PSI), or
 * null where the kernel does not say: on a shared machine it tells more than the load average.
 */
export function cpuPressure(): number | null {
  try {
    const some = /^some .*avg60=([\d.]+)/m.exec(fs.readFileSync('/proc/pressure/cpu', 'utf8'));
    return some ? Number(some[1]) : null;
  } catch {
    return null;
  }
}

export function machineLine(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model?.trim() ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
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

function sessionCookieOf(res: Response): string | undefined {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .find((c) => c.startsWith(`${SESSION_COOKIE}=`));
}

const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1];

async function signIn(base: string, username: string): Promise<string> {
  const page = await fetch(`${base}/login`);
  const cookie = sessionCookieOf(page) ?? '';
  const csrf = csrfOf(await page.text());
  if (!csrf) throw new Error('bench sign-in: no CSRF token on /login');
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ _csrf: csrf, username, password: DEMO_PASSWORD }).toString(),
  });
  const session = sessionCookieOf(res);
  if (res.status !== 303 || !session) throw new Error(`bench sign-in of a demo tenant failed: ${res.status}`);
  return session;
}

interface Session {
  cookie: string;
  csrf?: string;
}

interface Planned {
  name: string;
  kind: RowKind;
  visits: Visit[];
  /** This row's own target share of the ceiling, when it is not TARGET_SHARE. */
  target?: number;
}

/** The rows, in the order of the table; every signed-in visit names its tenant. */
function planRows(crowd: Crowd, threads: Crowd['threads']): Planned[] {
  const inbox: Visit[] = Array.from({ length: crowd.inboxPages }, (_, i) => ({
    method: 'GET',
    path: i === 0 ? '/messages' : `/messages?page=${i + 1}`,
    tenant: crowd.inboxTenant,
  }));
  const lines = [
    'Would Saturday afternoon suit you for a viewing?',
    'Thanks! Is the sauna shared with the neighbours?',
    'We could exchange in March, would that work?',
    'I sent the exchange application today.',
  ];
  // Each conversation is written to by its tenant with several different lines; one
  // after the other, the posts go to different conversations.
  const sends: Visit[] = lines.flatMap((body, j) =>
    threads.map((t, i) => ({
      method: 'POST' as const,
      path: `/messages/${t.conversationId}`,
      tenant: t.tenant,
      form: { body: `${body} (${i}.${j})` },
    })),
  );
  return [
    { name: 'bare route (ceiling)', kind: 'ceiling', visits: [{ method: 'GET', path: '/bench/bare' }] },
    { name: 'anonymous searches', kind: 'anonymous', visits: crowd.searches },
    { name: 'anonymous listing pages', kind: 'anonymous', visits: crowd.listingPages },
    ...(crowd.photos.length > 0
      ? [
          {
            name: `photos, cards and large views (target ≥ ${PHOTO_TARGET_SHARE * 100} %)`,
            kind: 'anonymous' as const,
            visits: crowd.photos,
            target: PHOTO_TARGET_SHARE,
          },
        ]
      : []),
    {
      name: '/matches with three-way swaps, signed-in tenants',
      kind: 'signed-in',
      visits: crowd.tenants.map((tenant) => ({ method: 'GET', path: '/matches', tenant })),
    },
    { name: `inbox of ${crowd.inboxTenant}, every page`, kind: 'signed-in', visits: inbox },
    {
      name: 'inboxes of the signed-in tenants',
      kind: 'signed-in',
      visits: crowd.tenants.map((tenant) => ({ method: 'GET', path: '/messages', tenant })),
    },
    {
      name: 'conversation pages',
      kind: 'signed-in',
      visits: threads.map((t) => ({ method: 'GET', path: `/messages/${t.conversationId}`, tenant: t.tenant })),
    },
    { name: 'sending a message', kind: 'signed-in', visits: sends },
  ];
}

interface Built {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  key: string;
  tenant?: string;
}

function build(visits: Visit[], sessions: Map<string, Session>): Built[] {
  return visits.map((v) => {
    const headers: Record<string, string> = {};
    if (v.lang) headers['accept-language'] = v.lang;
    let body: string | undefined;
    if (v.tenant) {
      const session = sessions.get(v.tenant);
      if (!session) throw new Error(`bench: ${v.tenant} is not signed in`);
      headers.cookie = session.cookie;
      if (v.form) {
        if (!session.csrf) throw new Error(`bench: no CSRF token for ${v.tenant}`);
        body = new URLSearchParams({ _csrf: session.csrf, ...v.form }).toString();
        headers['content-type'] = 'application/x-www-form-urlencoded';
      }
    }
    return { method: v.method, path: v.path, headers, body, key: `${v.method} ${v.path}`, tenant: v.tenant };
  });
}

async function load(
  bases: string[],
  visits: Built[],
  opts: { connections: number; seconds: number; acceptEncoding: string },
): Promise<Omit<Cell, 'share' | 'pass'>> {
  const urls = new Set<string>();
  const tenants = new Set<string>();
  let next = 0;
  const result = await autocannon({
    // autocannon spreads the connections over several URLs (connection i to url i mod n);
    // its type declarations only know the single-URL form.
    url: bases as unknown as string,
    connections: opts.connections,
    duration: opts.seconds,
    headers: opts.acceptEncoding ? { 'accept-encoding': opts.acceptEncoding } : {},
    requests: [
      {
        // Every request is the next visit of the crowd, whichever connection sends it.
        setupRequest: (req) => {
          const v = visits[next++ % visits.length];
          urls.add(v.key);
          if (v.tenant) tenants.add(v.tenant);
          return { ...req, method: v.method, path: v.path, headers: { ...req.headers, ...v.headers }, body: v.body ?? '' };
        },
      },
    ],
  });
  const expected = visits[0].method === 'POST' ? '303' : '200';
  const statuses: Record<string, number> = {};
  let unexpected = 0;
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) {
    const count = stat.count ?? 0;
    statuses[code] = count;
    if (code !== expected) unexpected += count;
  }
  return {
    reqPerSec: result.requests.total / Math.max(result.duration, 0.001),
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    // autocannon counts a timeout as an error too.
    errors: result.errors + unexpected,
    statuses,
    urls: urls.size,
    tenants: tenants.size,
  };
}

interface Servers {
  bases: string[];
  procs: ChildProcess[];
  peakMb: () => number;
  nowMb: () => number;
  stop: () => Promise<void>;
}

async function startServers(count: number, env: NodeJS.ProcessEnv, fromSource: boolean): Promise<Servers> {
  const entry = fromSource
    ? ['--require', 'tsx/cjs', path.join(ROOT, 'server', 'index.ts')]
    : [path.join(ROOT, 'dist', 'server', 'index.js')];
  const procs: ChildProcess[] = [];
  const bases: string[] = [];
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    // The same malloc setting npm start uses (see README, Memory): without it glibc keeps
    // every sign-in's 19 MiB argon2 block and the RSS figure measures that.
    const serverEnv = { MALLOC_MMAP_THRESHOLD_: '1048576', ...env, PORT: String(port) };
    // BENCH_SERVER_NODE_ARGS: extra node flags for the server only (e.g. --cpu-prof).
    const nodeArgs = (env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
    procs.push(spawn(process.execPath, [...nodeArgs, ...entry], { env: serverEnv, stdio: ['ignore', 'inherit', 'inherit'] }));
    bases.push(`http://127.0.0.1:${port}`);
  }
  let peak = 0;
  const nowMb = () => Math.max(0, ...procs.map((p) => rssMb(p.pid!)));
  const sampler = setInterval(() => {
    peak = Math.max(peak, nowMb());
  }, 100);
  const stop = async () => {
    clearInterval(sampler);
    await Promise.all(
      procs.map((p) =>
        p.exitCode !== null || p.signalCode !== null
          ? Promise.resolve()
          : new Promise((r) => {
              p.once('exit', r);
              p.kill('SIGTERM');
            }),
      ),
    );
  };
  try {
    await Promise.all(bases.map((b) => waitFor(`${b}/healthz`, 60_000)));
  } catch (err) {
    await stop();
    throw err;
  }
  return { bases, procs, peakMb: () => Math.max(peak, nowMb()), nowMb, stop };
}

/** Signs the crowd's tenants in (spread over the processes) and keeps the conversations they may reply to. */
async function signInCrowd(bases: string[], crowd: Crowd, wantedThreads: number) {
  const sessions = new Map<string, Session>();
  const names = [crowd.inboxTenant, ...crowd.tenants];
  for (const [i, name] of names.entries()) sessions.set(name, { cookie: await signIn(bases[i % bases.length], name) });
  const threads: Crowd['threads'] = [];
  for (const [i, t] of crowd.threads.entries()) {
    if (threads.length >= wantedThreads) break;
    const session = sessions.get(t.tenant)!;
    const res = await fetch(`${bases[(i + 1) % bases.length]}/messages/${t.conversationId}`, {
      headers: { cookie: session.cookie },
    });
    const html = await res.text();
    session.csrf ??= csrfOf(html);
    // Only conversations with a reply form: a closed one would answer the post with 403.
    if (res.status === 200 && html.includes(`action="/messages/${t.conversationId}"`)) threads.push(t);
  }
  return { sessions, threads };
}

async function measureRun(
  opts: Required<Pick<WebBenchOptions, 'seconds' | 'connections' | 'acceptEncoding'>> & {
    fromSource: boolean;
    out: (l: string) => void;
  },
  env: NodeJS.ProcessEnv,
  processes: number,
  cache: CacheMode,
  crowd: Crowd,
  wantedThreads: number,
) {
  const runEnv: NodeJS.ProcessEnv = { ...env };
  if (cache === 'off') runEnv.PAGE_CACHE_SECONDS = '0';
  else delete runEnv.PAGE_CACHE_SECONDS; // production's default
  const servers = await startServers(processes, runEnv, opts.fromSource);
  try {
    const { sessions, threads } = await signInCrowd(servers.bases, crowd, wantedThreads);
    if (threads.length < wantedThreads)
      opts.out(`Warning: only ${threads.length} of ${wantedThreads} conversations can be replied to`);
    const plan = planRows(crowd, threads);
    const common = { connections: opts.connections, seconds: opts.seconds, acceptEncoding: opts.acceptEncoding };
    // Warm up the JIT and the connection pools with every page the rows will ask for
    // (the ceiling row that follows is longer than the cache's lifetime in production).
    const warm = plan
      .filter((p) => p.visits.length > 0 && p.visits[0].method === 'GET')
      .flatMap((p) => build(p.visits, sessions));
    await load(servers.bases, warm, { ...common, seconds: Math.min(2, opts.seconds) });
    // autocannon stops without waiting for the requests still in flight: let the server
    // finish them (about as long as the slowest answers took) before the next measurement.
    const settle = (last?: Omit<Cell, 'share' | 'pass'>) => {
      const slowest = !last ? 0 : last.requests === 0 ? Infinity : last.p99;
      return new Promise((r) => setTimeout(r, Math.min(10_000, Math.max(1000, slowest * 1.5))));
    };
    // The ceiling is measured before the rows and again after them, and each row is
    // compared with the mean of the two: on a shared machine the ceiling drifts, and the
    // two ceiling rows show by how much.
    plan.push({ ...plan[0], name: 'bare route (ceiling), again after the rows' });
    const measured: Omit<Cell, 'share' | 'pass'>[] = [];
    for (const [i, step] of plan.entries()) {
      if (step.visits.length === 0) throw new Error(`bench: the crowd has nothing for "${step.name}" (seed more data)`);
      if (i === plan.length - 1) await settle(measured[measured.length - 1]);
      const r = await load(servers.bases, build(step.visits, sessions), common);
      measured.push(r);
      const odd = Object.entries(r.statuses).filter(([code]) => code !== (step.visits[0].method === 'POST' ? '303' : '200'));
      opts.out(
        `  ${step.name} (cache ${cache}): ${r.reqPerSec.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.urls} URLs, ${r.tenants} tenants${r.errors ? `, ${r.errors} errors${odd.length ? ` (${odd.map(([c, n]) => `${n} × ${c}`).join(', ')})` : ''}` : ''}`,
      );
    }
    const ceilings = measured.filter((_, i) => plan[i].kind === 'ceiling').map((r) => r.reqPerSec);
    const ceiling = ceilings.reduce((a, b) => a + b, 0) / ceilings.length;
    const cells: Cell[] = measured.map((r, i) => {
      const share = ceiling > 0 ? r.reqPerSec / ceiling : 0;
      // A row none of whose requests came back within its seconds measured nothing.
      const pass =
        r.errors === 0 &&
        r.requests > 0 &&
        (plan[i].kind === 'ceiling' || (share >= (plan[i].target ?? TARGET_SHARE) && r.p99 < TARGET_P99_MS));
      return { ...r, share, pass };
    });
    await settle();
    return { plan, cells, rss: { afterMb: servers.nowMb(), peakMb: servers.peakMb() } };
  } finally {
    await servers.stop();
  }
}

export async function runWebBench(opts: WebBenchOptions): Promise<WebBenchResult> {
  const out = opts.out ?? console.log;
  const processCounts = opts.processes ?? [1];
  const cacheModes = opts.cache ?? ['on', 'off'];
  const crowdSize = opts.crowd ?? FULL_CROWD;
  const acceptEncoding = opts.acceptEncoding ?? 'gzip, deflate, br';
  if (!opts.databaseUrl && processCounts.some((n) => n > 1)) {
    throw new Error('bench: several app processes need PostgreSQL (--database postgres://…)');
  }
  const keep = opts.dataDir ? path.resolve(opts.dataDir) : undefined;
  if (keep) fs.mkdirSync(keep, { recursive: true });
  const tmp = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'bostadsbyte-bench-'));
  const seededMarker = path.join(tmp, 'seeded.json');
  const databaseUrl = opts.databaseUrl ?? `sqlite:${path.join(tmp, 'bench.sqlite')}`;
  if (keep && opts.databaseUrl) fs.writeFileSync(path.join(tmp, 'database.txt'), opts.databaseUrl);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    DATA_DIR: tmp,
    MAIL_OUTBOX_DIR: path.join(tmp, 'outbox'),
    LOG_LEVEL: 'warn',
    PURGE_ENABLED: 'false',
    BENCH_BARE_ROUTE: 'true',
    SESSION_SECRET: 'bench-secret-bench-secret-bench-secret-00',
    // The benchmark is one client machine hammering the server: the anti-scraping and
    // sending limits would answer 429 after a few hundred requests and measure nothing.
    SEARCH_PER_IP_PER_MINUTE: '100000000',
    MESSAGES_PER_HOUR: '100000000',
    NEW_CONVERSATIONS_PER_DAY: '100000000',
    MAIL_MAX_PER_HOUR: '100000000',
  };
  try {
    const config = loadConfig(env);
    const db = createDb(config);
    let crowd: Crowd;
    let seeded;
    try {
      // With --data, a board seeded by an earlier run (its marker file in that folder) is
      // reused as it is, PostgreSQL's too; otherwise PostgreSQL's database is emptied.
      const reuse = !!keep && fs.existsSync(seededMarker);
      if (db.dialect === 'postgres' && !reuse)
        await db.sequelize.query('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;');
      await migrate(db);
      if (reuse) {
        seeded = JSON.parse(fs.readFileSync(seededMarker, 'utf8')) as Awaited<ReturnType<typeof runSeed>>;
        out(`Reusing the board seeded in ${tmp}`);
      } else {
        out(`Seeding ${opts.tenants} tenants, ${opts.listings} listings, ${opts.messages} messages on ${db.dialect}…`);
        seeded = await runSeed(
          // force: the database was emptied just above, and the server under test runs as production.
          {
            tenants: opts.tenants,
            listings: opts.listings,
            messages: opts.messages,
            seed: 42,
            benchConversations: opts.conversations,
            force: true,
          },
          { db, config, log: (line) => out(`  ${line}`) },
        );
        out(`  seeded in ${(seeded.ms / 1000).toFixed(1)} s`);
        if (keep) fs.writeFileSync(seededMarker, JSON.stringify(seeded));
      }
      crowd = await pickCrowd(db, crowdSize);
    } finally {
      await db.close();
    }
    const short = [
      crowd.searches.length < crowdSize.searches && `${crowd.searches.length} of ${crowdSize.searches} searches`,
      crowd.listingPages.length < crowdSize.listingPages && `${crowd.listingPages.length} of ${crowdSize.listingPages} listings`,
      crowd.tenants.length < crowdSize.signedIn && `${crowd.tenants.length} of ${crowdSize.signedIn} tenants`,
    ].filter(Boolean);
    if (short.length > 0) out(`Warning: the seeded data only gives ${short.join(', ')}`);
    out(
      `Crowd: ${crowd.searches.length} searches over ${crowd.districts.length} districts, ${crowd.listingPages.length} listings, ${crowd.tenants.length} signed-in tenants + ${crowd.inboxTenant} (${crowd.inboxPages} inbox pages), up to ${crowdSize.threads} conversations`,
    );

    const runs: WebBenchRun[] = [];
    for (const processes of processCounts) {
      const loadAverage = os.loadavg();
      const pressure = cpuPressure();
      const startedAt = new Date().toISOString();
      out(
        `\n${db.dialect}, ${processes} app process${processes > 1 ? 'es' : ''}; load average ${loadAverage.map((l) => l.toFixed(2)).join(' ')}`,
      );
      let rows: Row[] = [];
      const rss: WebBenchRun['rss'] = {};
      for (const cache of cacheModes) {
        const m = await measureRun(
          { seconds: opts.seconds, connections: opts.connections, acceptEncoding, fromSource: !!opts.fromSource, out },
          env,
          processes,
          cache,
          crowd,
          crowdSize.threads,
        );
        if (rows.length === 0) {
          rows = m.plan.map((p) => ({
            name: p.name,
            kind: p.kind,
            plannedUrls: new Set(p.visits.map((v) => `${v.method} ${v.path}`)).size,
            plannedTenants: new Set(p.visits.map((v) => v.tenant).filter(Boolean)).size,
            cells: {},
          }));
        }
        m.cells.forEach((cell, i) => {
          rows[i].cells[cache] = cell;
        });
        rss[cache] = m.rss;
      }
      const rssPass = Object.values(rss).every((r) => r.afterMb < TARGET_RSS_MB);
      const pass = rssPass && rows.every((r) => Object.values(r.cells).every((c) => c.pass));
      runs.push({ processes, loadAverage, cpuPressure: pressure, startedAt, rows, rss, rssPass, pass });
    }
    return {
      database: db.dialect,
      machine: machineLine(),
      seedSeconds: seeded.ms / 1000,
      seeded: { tenants: seeded.tenants, listings: seeded.listings, messages: seeded.messages },
      connections: opts.connections,
      seconds: opts.seconds,
      acceptEncoding,
      runs,
    };
  } finally {
    if (!opts.databaseUrl && !keep) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const ms = (n: number) => (n >= 1000 ? n.toLocaleString('en-US') : String(n));

/** One table per run: each row with the page cache on and off, against the targets. */
export function formatWebTable(result: WebBenchResult, run: WebBenchRun): string {
  const modes = (['on', 'off'] as CacheMode[]).filter((m) => run.rss[m]);
  const label = (m: CacheMode) => (m === 'on' ? 'cache on' : 'cache off');
  const head = [
    `${result.database === 'postgres' ? 'PostgreSQL' : 'SQLite'}, ${run.processes} app process${run.processes > 1 ? 'es' : ''} — ${run.startedAt.slice(0, 16).replace('T', ' ')} UTC; ${result.machine}; load average at start ${run.loadAverage.map((l) => l.toFixed(2)).join(' ')}${run.cpuPressure === null ? '' : `, CPU pressure ${run.cpuPressure.toFixed(0)} % (tasks waiting for a CPU over the last minute)`}`,
    `${result.seeded.tenants} tenants, ${result.seeded.listings} listings, ${result.seeded.messages} messages; ${result.connections} connections, ${result.seconds} s per row; target per row: ≥ ${TARGET_SHARE * 100} % of the ceiling, p99 < ${TARGET_P99_MS} ms, no errors`,
    '',
  ];
  const cols = modes.map((m) => `${label(m)}: req/s | share | p50 / p99 ms | errors | result`).join(' | ');
  const lines = [
    `| page | different URLs / tenants | ${cols} |`,
    `|---|---:|${modes.map(() => '---:|---:|---:|---:|---|').join('')}`,
    ...run.rows.map((r) => {
      // What the row planned; when a slow row got through fewer in its seconds, how many it reached.
      const reached = (key: 'urls' | 'tenants', plannedCount: number) => {
        const least = Math.min(...modes.map((m) => r.cells[m]?.[key] ?? plannedCount));
        return least < plannedCount ? `${plannedCount} (${least} reached)` : String(plannedCount);
      };
      const planned = `${reached('urls', r.plannedUrls)}${r.plannedTenants ? ` / ${reached('tenants', r.plannedTenants)}` : ''}`;
      const cells = modes
        .map((m) => {
          const c = r.cells[m];
          if (!c) return ' | | | | ';
          return `${c.reqPerSec.toFixed(0)} | ${(c.share * 100).toFixed(r.kind === 'ceiling' || c.share >= 0.1 ? 0 : 1)} % | ${ms(c.p50)} / ${ms(c.p99)} | ${c.errors} | ${c.pass ? 'pass' : 'FAIL'}`;
        })
        .join(' | ');
      return `| ${r.name} | ${planned} | ${cells} |`;
    }),
    `| server RSS after the run (peak)${run.processes > 1 ? ', largest process' : ''} | | ${modes
      .map((m) => {
        const r = run.rss[m]!;
        return `${r.afterMb.toFixed(0)} MB (${r.peakMb.toFixed(0)}) | < ${TARGET_RSS_MB} MB | | | ${r.afterMb < TARGET_RSS_MB ? 'pass' : 'FAIL'}`;
      })
      .join(' | ')} |`,
  ];
  return [...head, ...lines].join('\n');
}
