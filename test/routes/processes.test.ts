import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import { createApp } from '../../server/app';
import { createCacheBus } from '../../server/cache-bus';
import { ROOT } from '../../server/paths';
import { context } from '../helpers/context';
import { createListing, createUser, DEFAULT_PASSWORD } from '../helpers/factories';
import { csrfFrom } from '../helpers/http';
import { freePort } from '../../bench/free-port';

// A plain pg connection: a write Sequelize in this process does not see.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Client } = require('pg') as {
  Client: new (o: { connectionString: string }) => {
    connect(): Promise<void>;
    query(sql: string, values?: unknown[]): Promise<unknown>;
    end(): Promise<void>;
  };
};

// Two real app processes (server/index.ts, as `npm start` runs it) on the suite's one
// PostgreSQL database, the way an operator runs several behind a proxy. What a visitor
// sees must not depend on which process answers: the per-IP search limit counts requests
// to either, and a change made through one empties the other's page cache at once.
// SQLite is one process by design, so there is nothing to show on it.

const POSTGRES = /^postgres(ql)?:\/\//.test(process.env.TEST_DATABASE_URL ?? '');

interface Proc {
  url: string;
  child: ChildProcess;
  output: () => string;
}

async function start(tmpDir: string, name: string, entry = 'index.ts', extraEnv: NodeJS.ProcessEnv = {}): Promise<Proc> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.TEST_DATABASE_URL;
  Object.assign(
    env,
    {
      NODE_ENV: 'test',
      PORT: String(port),
      DATABASE_URL: process.env.TEST_DATABASE_URL,
      SESSION_SECRET: 'processes-secret-processes-secret-123456',
      DATA_DIR: path.join(tmpDir, name),
      MAIL_OUTBOX_DIR: path.join(tmpDir, name, 'outbox'),
      BASE_URL: url,
      LOG_LEVEL: 'warn',
      PURGE_ENABLED: 'false',
      // The cheapest argon2id the config accepts (see test/helpers/context.ts).
      ARGON2_MEMORY_KIB: '1024',
      ARGON2_TIME_COST: '1',
      PAGE_CACHE_SECONDS: '60',
      SEARCH_PER_IP_PER_MINUTE: '5',
      // Each test is its own visitor (X-Forwarded-For), so one test's limit does not
      // spill into the next.
      TRUST_PROXY: 'loopback',
    },
    extraEnv,
  );
  let output = '';
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(ROOT, 'server', entry)], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`process ${name} exited:\n${output}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`process ${name} did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, child, output: () => output };
}

async function stop(proc: Proc | undefined): Promise<void> {
  if (!proc || proc.child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.child.once('exit', () => resolve()));
  proc.child.kill('SIGTERM');
  await exited;
}

let visitorCount = 0;

describe('two app processes on one PostgreSQL (PostgreSQL only: SQLite runs one process)', function () {
  this.timeout(60_000);
  let tmpDir: string;
  let a: Proc | undefined;
  let b: Proc | undefined;

  before(async function () {
    if (!POSTGRES) this.skip();
    tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bostadsbyte-processes-'));
    [a, b] = await Promise.all([start(tmpDir, 'a'), start(tmpDir, 'b')]);
  });

  after(async () => {
    await Promise.all([stop(a), stop(b)]);
    if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
  });

  let visitor: string;
  beforeEach(async () => {
    visitor = `203.0.113.${++visitorCount}`;
    // The suite empties the tables behind the processes' backs before each test; say so
    // the way a process would, so no page from the previous test is served.
    await context().db.sequelize.query(`SELECT pg_notify('board_page_cache', 'tests')`);
  });

  const visit = (proc: Proc | undefined, url: string) =>
    request(proc!.url).get(url).set('Accept-Language', 'sv').set('X-Forwarded-For', visitor);

  async function signInOn(proc: Proc | undefined, username: string) {
    const tenant = request.agent(proc!.url);
    const login = await tenant.get('/login').set('X-Forwarded-For', visitor);
    const res = await tenant
      .post('/login')
      .set('X-Forwarded-For', visitor)
      .type('form')
      .send({ username, password: DEFAULT_PASSWORD, _csrf: csrfFrom(login.text) });
    expect(res.status, a!.output()).to.equal(303);
    return tenant;
  }

  it("counts a visitor's searches on either process against one limit", async () => {
    await createListing();
    for (const proc of [a, b, a, b, a]) expect((await visit(proc, '/listings')).status).to.equal(200);
    // Five searches, spread over both: the sixth is refused, whichever process gets it.
    const onB = await visit(b, '/listings');
    expect(onB.status).to.equal(429);
    expect(onB.text).to.contain('För många sökningar');
    expect((await visit(a, '/listings')).status).to.equal(429);
    // Another visitor is not affected.
    visitor = `203.0.113.${++visitorCount}`;
    expect((await visit(b, '/listings')).status).to.equal(200);
  });

  it("shows a change made through one process at once on the other's cached page", async () => {
    const owner = await createUser({ username: 'sanna_processes' });
    const listing = await createListing(owner, { district: 'kallio' });
    expect((await visit(b, '/listings')).text).to.contain(`href="/listings/${listing.id}"`);
    expect((await visit(b, `/listings/${listing.id}`)).status).to.equal(200);

    // The pages are kept: a row written behind the processes' backs (no notice) does
    // not show on B within the minute.
    const unnoticed = await createListing(undefined, { district: 'vallila' });
    expect((await visit(b, '/listings')).text).to.not.contain(`href="/listings/${unnoticed.id}"`);

    // The owner pauses the listing through A; B's visitors see it gone at once.
    const tenant = await signInOn(a, owner.username);
    const page = await tenant.get(`/listings/${listing.id}`).set('X-Forwarded-For', visitor);
    const paused = await tenant
      .post(`/listings/${listing.id}/pause`)
      .set('X-Forwarded-For', visitor)
      .type('form')
      .send({ _csrf: csrfFrom(page.text) });
    expect(paused.status).to.equal(303);
    const search = await visit(b, '/listings');
    expect(search.text).to.not.contain(`href="/listings/${listing.id}"`);
    expect(search.text).to.contain(`href="/listings/${unnoticed.id}"`);
    expect((await visit(b, `/listings/${listing.id}`)).status).to.equal(404);
  });

  it("drops a purged tenant's listing from both processes' cached pages when the purge CLI runs", async () => {
    const owner = await createUser({ username: 'sulo_processes', lastLoginAt: new Date('2025-01-01T00:00:00Z') });
    const listing = await createListing(owner, { district: 'kallio' });
    for (const proc of [a, b]) expect((await visit(proc, '/listings')).text).to.contain(`href="/listings/${listing.id}"`);
    const purge = spawnSync(
      process.execPath,
      ['--require', 'tsx/cjs', path.join(ROOT, 'jobs', 'purge-cli.ts'), '--now', '2026-06-01T00:00:00Z'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          TZ: 'UTC',
          NODE_ENV: 'test',
          LOG_LEVEL: 'silent',
          DATA_DIR: tmpDir,
          MAIL_OUTBOX_DIR: path.join(tmpDir, 'outbox'),
          DATABASE_URL: process.env.TEST_DATABASE_URL,
          SESSION_SECRET: 'processes-secret-processes-secret-123456',
        },
      },
    );
    expect(purge.stdout.trim().split('\n').pop(), purge.stderr).to.equal('Deleted 1 account.');
    for (const proc of [a, b]) expect((await visit(proc, '/listings')).text).to.not.contain(`href="/listings/${listing.id}"`);
  });

  it("keeps emptying the other process's cache after its listening connection was cut", async () => {
    const { db } = context();
    const owner = await createUser({ username: 'sirkka_processes' });
    const listing = await createListing(owner, { district: 'kallio' });
    expect((await visit(b, '/listings')).text).to.contain(`href="/listings/${listing.id}"`);

    await db.sequelize.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'board-page-cache'`,
    );
    // Both processes listen again within a few seconds.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const [rows] = await db.sequelize.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'board-page-cache'`,
      );
      if ((rows as { n: number }[])[0].n === 2) break;
      if (Date.now() > deadline) throw new Error('the listeners did not reconnect');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await visit(b, '/listings')).text).to.contain(`href="/listings/${listing.id}"`);

    const tenant = await signInOn(a, owner.username);
    const page = await tenant.get(`/listings/${listing.id}`).set('X-Forwarded-For', visitor);
    await tenant
      .post(`/listings/${listing.id}/pause`)
      .set('X-Forwarded-For', visitor)
      .type('form')
      .send({ _csrf: csrfFrom(page.text) });
    expect((await visit(b, '/listings')).text).to.not.contain(`href="/listings/${listing.id}"`);
  });

  it('serves visitors fresh pages while a process cannot hear the others', async () => {
    const { deps, db } = context();
    const bus = createCacheBus(process.env.TEST_DATABASE_URL!, deps.logger, { retryMs: 60_000 });
    await bus.ready();
    const config = { ...deps.config, pageCacheMs: 60_000 };
    const board = createApp({ ...deps, config, cacheBus: bus });
    try {
      const listing = await createListing(undefined, { district: 'kallio' });
      const look = () => request(board.app).get('/listings').set('Accept-Language', 'sv');
      expect((await look()).text).to.contain(`href="/listings/${listing.id}"`);
      // Cut this process's listening connection; it will not retry for a minute.
      await db.sequelize.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'board-page-cache'`,
      );
      const deadline = Date.now() + 10_000;
      while (bus.connected) {
        if (Date.now() > deadline) throw new Error('the bus did not notice');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // Pages rendered meanwhile are not kept either: another process now pauses the
      // listing, and its notice cannot reach this one.
      expect((await look()).text).to.contain(`href="/listings/${listing.id}"`);
      const other = new Client({ connectionString: process.env.TEST_DATABASE_URL! });
      await other.connect();
      await other.query(`UPDATE listings SET status = 'paused' WHERE id = $1`, [listing.id]);
      await other.end();
      expect((await look()).text).to.not.contain(`href="/listings/${listing.id}"`);
    } finally {
      board.close();
      await bus.close();
    }
  });

  it('serves from two workers on one port and stops them on SIGTERM (npm run start:cluster)', async () => {
    const proc = await start(tmpDir, 'cluster', 'cluster.ts', { WORKERS: '2', LOG_LEVEL: 'info' });
    try {
      expect((await request(proc.url).get('/listings').set('X-Forwarded-For', '198.51.100.1')).status).to.equal(200);
      const deadline = Date.now() + 30_000;
      while ((proc.output().match(/board listening/g) ?? []).length < 2) {
        if (Date.now() > deadline) throw new Error(`two workers did not start:\n${proc.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      const exited = new Promise<number | null>((resolve) => proc.child.once('exit', (code) => resolve(code)));
      proc.child.kill('SIGTERM');
      expect(await exited).to.equal(0);
    }
  });
});

describe('npm run start:cluster on SQLite', function () {
  this.timeout(60_000);
  let tmpDir: string;
  before(() => {
    tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bostadsbyte-cluster-'));
  });
  after(() => fs.rmSync(tmpDir, { recursive: true, force: true }));

  it('refuses SQLite, which stays one process, with a message saying what to run', () => {
    const run = spawnSync(process.execPath, ['--require', 'tsx/cjs', path.join(ROOT, 'server', 'cluster.ts')], {
      cwd: ROOT,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        DATA_DIR: tmpDir,
        WORKERS: '2',
        DATABASE_URL: `sqlite:${path.join(tmpDir, 'board.sqlite')}`,
      },
    });
    expect(run.status).to.equal(1);
    expect(run.stderr).to.contain('needs PostgreSQL');
  });
});
