import net from 'node:net';
import { expect } from 'chai';
import sqlite3 from 'sqlite3';
import request from 'supertest';
import { isDatabaseUnavailable } from '../../server/health';
import { context } from '../helpers/context';
import { createListing, createUser } from '../helpers/factories';
import { freePort } from '../../bench/free-port';
import { startServer } from '../helpers/server-process';

const waitFor = async (check: () => Promise<boolean>, ms: number): Promise<boolean> => {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
};

describe('when the database goes away', () => {
  it('counts lost connections, refusals, timeouts and locks as "unavailable", and bugs not', () => {
    expect(isDatabaseUnavailable({ name: 'SequelizeConnectionRefusedError' })).to.equal(true);
    expect(isDatabaseUnavailable({ name: 'SequelizeTimeoutError', parent: { code: 'SQLITE_BUSY' } })).to.equal(true);
    expect(
      isDatabaseUnavailable({ name: 'SequelizeDatabaseError', parent: { message: 'Connection terminated unexpectedly' } }),
    ).to.equal(true);
    expect(isDatabaseUnavailable({ name: 'SequelizeDatabaseError', parent: { code: '57P01' } })).to.equal(true);
    expect(isDatabaseUnavailable(new TypeError('x is undefined'))).to.equal(false);
    expect(isDatabaseUnavailable({ name: 'SequelizeUniqueConstraintError' })).to.equal(false);
  });

  if (!process.env.TEST_DATABASE_URL) {
    describe('SQLite locked by another program', () => {
      it("answers 503 at once in the visitor's language, says so on /healthz/ready, and recovers by itself", async function () {
        this.timeout(30_000);
        const c = context();
        const listing = await createListing(await createUser());
        const board = c.board;
        expect((await request(board.app).get(`/listings/${listing.id}`)).status).to.equal(200);

        // Another program takes the write lock and keeps it.
        const other = new sqlite3.Database(c.config.database.storage!);
        await new Promise<void>((resolve, reject) => other.exec('BEGIN EXCLUSIVE', (e) => (e ? reject(e) : resolve())));
        try {
          // The server's probe (every 2 s) notices; here it is asked directly.
          await board.health.probe();
          await board.health.probe();
          expect(board.health.ready).to.equal(false);

          const started = Date.now();
          const page = await request(board.app).get(`/listings/${listing.id}`).set('Accept-Language', 'fi');
          expect(Date.now() - started, 'no waiting for the lock').to.be.below(1000);
          expect(page.status).to.equal(503);
          expect(page.headers['retry-after']).to.equal('5');
          expect(page.text).to.contain('Pörssi ei juuri nyt tavoita tietokantaansa');
          expect(page.text).to.not.match(/at \S+ \(.*:\d+:\d+\)/);
          const form = await request(board.app).post('/login').type('form').send({ username: 'x', password: 'y' });
          expect(form.status).to.equal(503);

          const live = await request(board.app).get('/healthz');
          expect(live.status).to.equal(200);
          expect(live.body).to.deep.equal({ status: 'ok', database: 'unavailable' });
          const ready = await request(board.app).get('/healthz/ready');
          expect(ready.status).to.equal(503);
          expect(ready.body).to.deep.equal({ status: 'unavailable', database: 'unavailable' });
        } finally {
          await new Promise<void>((resolve) => other.exec('ROLLBACK', () => other.close(() => resolve())));
        }
        // Nobody asks: the board's own probe (every second while down) lets requests through again.
        expect(await waitFor(async () => board.health.ready, 5000), 'recovers by itself').to.equal(true);
        expect((await request(board.app).get(`/listings/${listing.id}`)).status).to.equal(200);
        expect((await request(board.app).get('/healthz/ready')).body).to.deep.equal({ status: 'ok', database: 'ok' });
        expect(c.logs.text()).to.contain('database unavailable');
      });
    });
  }

  if (process.env.TEST_DATABASE_URL) {
    describe('PostgreSQL cut off (a TCP proxy between the board and the database)', () => {
      it('answers 503 instead of hanging while the line is cut, and recovers when it is back', async function () {
        this.timeout(60_000);
        const target = new URL(process.env.TEST_DATABASE_URL!);
        const sockets = new Set<net.Socket>();
        const proxy = net.createServer((client) => {
          const upstream = net.connect(Number(target.port || 5432), target.hostname);
          for (const s of [client, upstream]) {
            sockets.add(s);
            s.on('close', () => sockets.delete(s));
            s.on('error', () => undefined);
          }
          client.pipe(upstream).pipe(client);
        });
        const listen = (port = 0) =>
          new Promise<number>((resolve) =>
            proxy.listen(port, '127.0.0.1', () => resolve((proxy.address() as net.AddressInfo).port)),
          );
        const port = await listen();
        const url = new URL(target.toString());
        url.port = String(port);
        url.hostname = '127.0.0.1';
        const c = context();
        const server = await startServer({
          PORT: String(await freePort()),
          DATABASE_URL: url.toString(),
          DATA_DIR: c.tmpDir,
          MAIL_OUTBOX_DIR: `${c.tmpDir}/outbox-pg`,
        });
        const get = async (path: string, lang = 'en') => {
          const res = await fetch(`${server.url}${path}`, { headers: { 'Accept-Language': lang } });
          return { status: res.status, text: await res.text() };
        };
        try {
          const listing = await createListing(await createUser());
          expect((await get(`/listings/${listing.id}`)).status).to.equal(200);

          // Cut: existing connections die, new ones are refused.
          await new Promise<void>((resolve) => {
            proxy.close(() => resolve());
            for (const s of sockets) s.destroy();
          });
          const started = Date.now();
          const page = await get(`/listings/${listing.id}`);
          expect(page.status).to.equal(503);
          expect(Date.now() - started).to.be.below(5000);
          expect(page.text).to.contain('cannot reach its database');
          expect((await get('/listings')).status).to.equal(503);
          expect((await get('/healthz/ready')).status).to.equal(503);
          expect((await get('/healthz')).status, 'alive all the same').to.equal(200);

          // The line is back: the board recovers by itself.
          await listen(port);
          expect(await waitFor(async () => (await get('/healthz/ready')).status === 200, 15_000), 'recovers by itself').to.equal(
            true,
          );
          expect((await get(`/listings/${listing.id}`)).status).to.equal(200);
        } finally {
          server.proc.kill('SIGTERM');
          await server.exited;
          for (const s of sockets) s.destroy();
          proxy.close();
        }
      });
    });
  }
});
