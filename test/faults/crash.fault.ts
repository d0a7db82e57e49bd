import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import sqlite3 from 'sqlite3';
import { checkInvariants, type Query } from './invariants';
import { freePort } from '../../bench/free-port';

// npm run test:faults — crash safety, proven. The real server (dist/, as `npm start` runs
// it) on a fresh SQLite file, under a write-heavy load over HTTP (registrations, listings,
// messages, favourites), is killed with SIGKILL at random moments, KILLS times, and
// restarted. After every kill: PRAGMA integrity_check and foreign_key_check are clean,
// every write the client was told succeeded (a 303) is there, every registration's
// verification mail is either still queued or was delivered, and the board's invariants
// hold (invariants.ts). Then the same for the purge job killed mid-run.

const ROOT = path.resolve(__dirname, '../..');
const KILLS = Number(process.env.FAULT_KILLS ?? 20);
const PASSWORD = 'demo password for everyone';
const NEW_PASSWORD = 'a long and unusual passphrase 7';

function entry(name: 'server/index' | 'jobs/seed-cli' | 'jobs/purge-cli'): string[] {
  const built = path.join(ROOT, 'dist', `${name}.js`);
  if (fs.existsSync(built)) return [built];
  return ['--require', 'tsx/cjs', path.join(ROOT, `${name}.ts`)];
}

function boardEnv(dir: string, port: number, databaseUrl: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    TZ: 'UTC',
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    PORT: String(port),
    BASE_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: dir,
    DATABASE_URL: databaseUrl,
    MAIL_OUTBOX_DIR: path.join(dir, 'outbox'),
    SESSION_SECRET: 'fault-secret-fault-secret-fault-secret-12',
    PURGE_ENABLED: 'false',
    PAGE_CACHE_SECONDS: '0',
    // The load is one address writing fast: the limits would stop it, not the crash.
    REGISTRATIONS_PER_IP_PER_HOUR: '1000000',
    MESSAGES_PER_HOUR: '1000000',
    NEW_CONVERSATIONS_PER_DAY: '1000000',
    SEARCH_PER_IP_PER_MINUTE: '1000000',
    MAIL_MAX_PER_HOUR: '1000000',
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
  };
}

// The pg driver (no type declarations are installed): just what the checker uses.
interface PgClient {
  connect(): Promise<void>;
  query(sql: string): Promise<{ rows: unknown[] }>;
  end(): Promise<void>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pg = require('pg') as {
  Client: new (o: { connectionString: string }) => PgClient;
  types: { setTypeParser(oid: number, parse: (v: string) => unknown): void };
};
// COUNT(*) and SUM() come back from PostgreSQL as strings; numbers here, as on SQLite.
pg.types.setTypeParser(20, (v) => Number(v));

/**
 * A database connection of the checker's own, opened after the crash (on SQLite it
 * recovers the WAL). `target` is the SQLite file or the PostgreSQL URL.
 */
async function withDb<T>(target: string, fn: (q: Query) => Promise<T>): Promise<T> {
  if (target.startsWith('postgres')) {
    const client = new pg.Client({ connectionString: target });
    await client.connect();
    try {
      return await fn(async <R>(sql: string) => (await client.query(sql)).rows as R[]);
    } finally {
      await client.end();
    }
  }
  const file = target;
  const db = await new Promise<sqlite3.Database>((resolve, reject) => {
    const d = new sqlite3.Database(file, (e) => (e ? reject(e) : resolve(d)));
  });
  const q: Query = <R>(sql: string) =>
    new Promise<R[]>((resolve, reject) => db.all(sql, (e, rows) => (e ? reject(e) : resolve(rows as R[]))));
  try {
    return await fn(q);
  } finally {
    await new Promise<void>((resolve) => db.close(() => resolve()));
  }
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** A browser-like client: a cookie jar and the page's CSRF token. */
class Client {
  private cookies = new Map<string, string>();
  constructor(private readonly base: string) {}
  async send(method: string, url: string, form?: [string, string][]) {
    const headers: Record<string, string> = {};
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(form).toString();
    }
    const res = await fetch(this.base + url, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(15_000) });
    for (const c of res.headers.getSetCookie()) {
      const [kv] = c.split(';');
      const i = kv.indexOf('=');
      this.cookies.set(kv.slice(0, i), kv.slice(i + 1));
    }
    return { status: res.status, location: res.headers.get('location') ?? '', text: await res.text() };
  }
  async token(url: string): Promise<string> {
    const page = await this.send('GET', url);
    const m = /name="_csrf" value="([^"]+)"/.exec(page.text);
    if (!m) throw new Error(`no form on ${url} (${page.status})`);
    return m[1];
  }
  async post(url: string, fields: [string, string][], tokenFrom: string) {
    return this.send('POST', url, [...fields, ['_csrf', await this.token(tokenFrom)]]);
  }
  async signIn(username: string, password = PASSWORD): Promise<boolean> {
    this.cookies.clear();
    return (
      (
        await this.post(
          '/login',
          [
            ['username', username],
            ['password', password],
          ],
          '/login',
        )
      ).status === 303
    );
  }
}

const LISTING: [string, string][] = [
  ['district', 'kallio'],
  ['postal_code', '00530'],
  ['rooms', '2'],
  ['size_m2', '48'],
  ['rent_eur', '780'],
  ['floor', '3'],
  ['building_type', 'block'],
  ['available_from', '2027-03-01'],
  ['description', 'Bright two-room flat by the park.'],
  ['wanted_districts', 'vallila'],
  ['wanted_districts', 'toolo'],
  ['wanted_rooms_min', '3'],
  ['wanted_size_min', '60'],
  ['wanted_rent_max', '1100'],
  ['wanted_description', 'A bigger place.'],
];

interface Acknowledged {
  registrations: { username: string; email: string }[];
  listings: { id: number; username: string }[];
  favourites: { username: string; listingId: number }[];
  messages: string[];
}

function runNode(args: string[], env: NodeJS.ProcessEnv): string {
  return execFileSync(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

async function waitReady(url: string, proc: ChildProcess, stderr: () => string): Promise<void> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`the server exited at start: ${stderr()}`);
    try {
      if ((await fetch(`${url}/healthz/ready`)).ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the server did not start: ${stderr()}`);
}

function kill(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}

/**
 * What a crash may not break: the files, the foreign keys, the invariants. PostgreSQL
 * enforces foreign keys on every statement; there its B-tree indexes are checked with
 * amcheck (bt_index_check) instead of SQLite's integrity_check.
 */
async function checkDatabase(q: Query, target: string): Promise<void> {
  if (target.startsWith('postgres')) {
    await q('CREATE EXTENSION IF NOT EXISTS amcheck');
    const indexes = await q<{ name: string }>(`SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace WHERE a.amname = 'btree' AND n.nspname = 'public'`);
    for (const { name } of indexes) await q(`SELECT bt_index_check('public.${name}'::regclass)`);
    const unvalidated = await q("SELECT conname FROM pg_constraint WHERE contype = 'f' AND NOT convalidated");
    expect(unvalidated, 'foreign keys not validated').to.deep.equal([]);
  } else {
    const [integrity] = await q<{ integrity_check: string }>('PRAGMA integrity_check');
    expect(integrity.integrity_check, 'PRAGMA integrity_check').to.equal('ok');
    expect(await q('PRAGMA foreign_key_check'), 'PRAGMA foreign_key_check').to.deep.equal([]);
  }
  expect(await checkInvariants(q), 'invariants').to.deep.equal([]);
}

/** Empties a PostgreSQL database (the fault test's own: FAULT_DATABASE_URL). */
async function resetPostgres(url: string): Promise<void> {
  await withDb(url, (q) => q('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;'));
}

// SQLite always; PostgreSQL too when FAULT_DATABASE_URL names a database it may empty.
const TARGETS: { name: string; url: (dir: string) => string }[] = [
  { name: 'SQLite', url: (dir) => path.join(dir, 'board.sqlite') },
  ...(process.env.FAULT_DATABASE_URL ? [{ name: 'PostgreSQL', url: () => process.env.FAULT_DATABASE_URL! }] : []),
];
const asDatabaseUrl = (target: string) => (target.startsWith('postgres') ? target : `sqlite:${target}`);

for (const { name: dialect, url: targetIn } of TARGETS)
  describe(`crash safety (SIGKILL at random moments) on ${dialect}`, function () {
    this.timeout(600_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bostadsbyte-faults-'));
    const file = targetIn(dir);
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it(`loses no acknowledged write and breaks no invariant over ${KILLS} kills of the server under load`, async () => {
      const port = await freePort();
      if (file.startsWith('postgres')) await resetPostgres(file);
      const env = boardEnv(dir, port, asDatabaseUrl(file));
      const base = `http://127.0.0.1:${port}`;
      runNode(
        [...entry('jobs/seed-cli'), '--tenants', '40', '--listings', '20', '--messages', '60', '--seed', '7', '--force'],
        env,
      );
      const tenants = await withDb(file, (q) =>
        q<{ username: string; has_listing: number }>(
          `SELECT u.username, (SELECT COUNT(*) FROM listings l WHERE l.user_id = u.id) AS has_listing
         FROM users u WHERE u.role = 'tenant' AND u.email_verified_at IS NOT NULL AND u.suspended_at IS NULL
         ORDER BY u.id`,
        ),
      );
      // Three tenants who will post a listing, three who have one.
      const writers = [
        ...tenants.filter((t) => !Number(t.has_listing)).slice(0, 3),
        ...tenants.filter((t) => t.has_listing).slice(0, 3),
      ].map((t) => ({ username: t.username, hasListing: Number(t.has_listing) > 0, client: new Client(base), signedIn: false }));
      const acked: Acknowledged = { registrations: [], listings: [], favourites: [], messages: [] };
      const countAcked = () =>
        acked.registrations.length + acked.listings.length + acked.favourites.length + acked.messages.length;
      let writes = 0;
      const statuses: string[] = [];

      for (let round = 1; round <= KILLS; round += 1) {
        let stderr = '';
        const proc = spawn(process.execPath, entry('server/index'), { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
        proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
        await waitReady(base, proc, () => stderr);
        const active = await withDb(file, (q) =>
          q<{ id: number; username: string }>(
            `SELECT l.id, u.username FROM listings l JOIN users u ON u.id = l.user_id WHERE l.status = 'active'`,
          ),
        );

        let killed = false;
        const load = writers.map(async (w, i) => {
          // Signed in once: the session is in the database and survives the kills.
          if (!w.signedIn) w.signedIn = await w.client.signIn(w.username).catch(() => false);
          if (!w.signedIn) return;
          while (!killed) {
            const others = active.filter((l) => l.username !== w.username);
            const target = others[crypto.randomInt(others.length)];
            const pick = crypto.randomInt(i === 0 ? 2 : 10);
            try {
              if (i === 0 || pick === 0) {
                // A registration (a new account and its verification mail, one transaction).
                const name = `crash_${crypto.randomBytes(5).toString('hex')}`;
                const email = `${name}@demo.invalid`;
                const r = await new Client(base).post(
                  '/register',
                  [
                    ['username', name],
                    ['email', email],
                    ['phone', ''],
                    ['password', NEW_PASSWORD],
                    ['password_confirm', NEW_PASSWORD],
                  ],
                  '/register',
                );
                if (r.status === 303) acked.registrations.push({ username: name, email });
                else statuses.push(`register ${r.status}`);
              } else if (!w.hasListing) {
                const r = await w.client.post('/listings', LISTING, '/listings/new');
                const id = /^\/listings\/(\d+)/.exec(r.location)?.[1];
                if (r.status === 303 && id) {
                  w.hasListing = true;
                  acked.listings.push({ id: Number(id), username: w.username });
                }
              } else if (pick < 4) {
                const r = await w.client.post(`/listings/${target.id}/favourite`, [], `/listings/${target.id}`);
                if (r.status === 303) acked.favourites.push({ username: w.username, listingId: target.id });
              } else {
                const body = `fault-${crypto.randomBytes(8).toString('hex')}`;
                const r = await w.client.post(`/listings/${target.id}/messages`, [['body', body]], `/listings/${target.id}`);
                if (r.status === 303 && r.location.startsWith('/messages/')) acked.messages.push(body);
                else if (r.status !== 303) {
                  statuses.push(`message ${r.status}`);
                  w.signedIn = false;
                  return;
                }
              }
              writes += 1;
            } catch (err) {
              // The server died under this request: it was never acknowledged.
              if (!killed) statuses.push(`error ${(err as Error).message}`);
              return;
            }
          }
        });
        // Killed at a random moment once this round has written something (on a slow machine
        // the first requests after a start take a while), with writes still in flight.
        const ackedBefore = countAcked();
        const waitUntil = Date.now() + 30_000;
        while (countAcked() === ackedBefore && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 20));
        await new Promise((r) => setTimeout(r, crypto.randomInt(1500)));
        killed = true;
        await kill(proc);
        await Promise.allSettled(load);

        await withDb(file, async (q) => {
          await checkDatabase(q, file);
          const users = new Set((await q<{ username: string }>('SELECT username FROM users')).map((u) => u.username));
          for (const r of acked.registrations)
            expect(users.has(r.username), `registration ${r.username} (round ${round})`).to.equal(true);
          const listings = new Map(
            (
              await q<{ id: number; username: string }>(
                'SELECT l.id, u.username FROM listings l JOIN users u ON u.id = l.user_id',
              )
            ).map((l) => [l.id, l.username]),
          );
          for (const l of acked.listings) expect(listings.get(l.id), `listing ${l.id} (round ${round})`).to.equal(l.username);
          const favourites = new Set(
            (
              await q<{ k: string }>(
                "SELECT u.username || ':' || f.listing_id AS k FROM favourites f JOIN users u ON u.id = f.user_id",
              )
            ).map((f) => f.k),
          );
          for (const f of acked.favourites)
            expect(favourites.has(`${f.username}:${f.listingId}`), `favourite (round ${round})`).to.equal(true);
          if (acked.messages.length > 0) {
            const found = new Set(
              (await q<{ body: string }>(`SELECT body FROM messages WHERE body IN (${acked.messages.map(quote).join(',')})`)).map(
                (m) => m.body,
              ),
            );
            for (const body of acked.messages) expect(found.has(body), `message ${body} (round ${round})`).to.equal(true);
          }
          // Every registration's verification mail is still queued or was delivered.
          const queued = new Set((await q<{ recipient: string }>('SELECT recipient FROM mail_queue')).map((m) => m.recipient));
          const outbox = path.join(dir, 'outbox');
          const delivered = fs.existsSync(outbox)
            ? fs
                .readdirSync(outbox)
                .map((f) => fs.readFileSync(path.join(outbox, f), 'utf8'))
                .join('\n')
            : '';
          for (const r of acked.registrations) {
            expect(queued.has(r.email) || delivered.includes(`To: ${r.email}`), `verification mail of ${r.username}`).to.equal(
              true,
            );
          }
        });
      }
      if (process.env.FAULT_DEBUG) console.log(statuses, acked.listings, acked.favourites.length, acked.messages.length);
      // The load really wrote: otherwise the kills proved nothing.
      expect(countAcked(), 'acknowledged writes').to.be.at.least(KILLS);
      expect(acked.registrations.length, 'registrations acknowledged').to.be.above(0);
      expect(acked.messages.length, 'messages acknowledged').to.be.above(0);
      console.log(
        `      ${KILLS} kills; acknowledged: ${acked.registrations.length} registrations, ${acked.listings.length} listings, ` +
          `${acked.favourites.length} favourites, ${acked.messages.length} messages (${writes} writes tried)`,
      );
    });

    it('the purge killed mid-run: nothing half-deleted, and the next run finishes the job', async () => {
      const purgeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bostadsbyte-faults-purge-'));
      const purgeFile = targetIn(purgeDir);
      if (purgeFile.startsWith('postgres')) await resetPostgres(purgeFile);
      const env = { ...boardEnv(purgeDir, await freePort(), asDatabaseUrl(purgeFile)), PURGE_BATCH_SIZE: '25' };
      try {
        runNode(
          [...entry('jobs/seed-cli'), '--tenants', '1500', '--listings', '600', '--messages', '3000', '--seed', '3', '--force'],
          env,
        );
        const tenantsBefore = await withDb(
          purgeFile,
          async (q) => (await q<{ n: number }>("SELECT COUNT(*) AS n FROM users WHERE role = 'tenant'"))[0].n,
        );
        // Five years on, every tenant is passive.
        const args = [...entry('jobs/purge-cli'), '--now', '2031-06-01T00:00:00Z'];
        let kills = 0;
        for (let attempt = 0; attempt < 6 && kills < 3; attempt += 1) {
          const proc = spawn(process.execPath, args, { cwd: ROOT, env, stdio: 'ignore' });
          // Killed once some batches have committed (the run's progress is in purge_runs).
          const started = Date.now();
          for (;;) {
            await new Promise((r) => setTimeout(r, 40));
            if (proc.exitCode !== null) break;
            const progress = await withDb(purgeFile, (q) =>
              q<{ n: number }>("SELECT COALESCE(MAX(deleted_count), 0) AS n FROM purge_runs WHERE outcome = 'running'"),
            ).catch(() => [{ n: 0 }]);
            if (progress[0].n > 0 && Date.now() - started > 100 + crypto.randomInt(400)) break;
          }
          if (proc.exitCode !== null) break; // finished before the kill: the loop ends
          await kill(proc);
          kills += 1;
          await withDb(purgeFile, async (q) => {
            await checkDatabase(q, purgeFile);
            // Whole accounts only: no listing, message, session or mail of an account that is gone.
            const orphans = await q(`SELECT 'listing' AS what, id FROM listings WHERE user_id NOT IN (SELECT id FROM users)
            UNION ALL SELECT 'message', id FROM messages WHERE sender_id IS NOT NULL AND sender_id NOT IN (SELECT id FROM users)
            UNION ALL SELECT 'participant', conversation_id FROM conversation_participants WHERE user_id NOT IN (SELECT id FROM users)
            UNION ALL SELECT 'mail', id FROM mail_queue WHERE user_id NOT IN (SELECT id FROM users)`);
            expect(orphans, 'rows of deleted accounts').to.deep.equal([]);
            const [{ n }] = await q<{ n: number }>("SELECT COUNT(*) AS n FROM users WHERE role = 'tenant'");
            const [{ recorded }] = await q<{ recorded: number }>(
              'SELECT COALESCE(SUM(deleted_count), 0) AS recorded FROM purge_runs',
            );
            expect(tenantsBefore - n, 'accounts gone = accounts the runs recorded').to.equal(recorded);
          });
        }
        expect(kills, 'the purge was killed mid-run').to.be.at.least(1);
        const last = runNode(args, env).trim().split('\n').pop();
        expect(last).to.match(/^Deleted \d+ accounts?\.$/);
        await withDb(purgeFile, async (q) => {
          await checkDatabase(q, purgeFile);
          expect(
            (await q<{ n: number }>("SELECT COUNT(*) AS n FROM users WHERE role = 'tenant'"))[0].n,
            'no passive tenant left',
          ).to.equal(0);
          const runs = await q<{ outcome: string; error: string | null }>('SELECT outcome, error FROM purge_runs ORDER BY id');
          expect(runs.pop()!.outcome).to.equal('ok');
          for (const r of runs) expect(r.outcome, 'a killed run is recorded as interrupted').to.equal('failed');
        });
      } finally {
        fs.rmSync(purgeDir, { recursive: true, force: true });
      }
    });
  });
