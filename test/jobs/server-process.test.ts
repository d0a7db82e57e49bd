import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import sqlite3 from 'sqlite3';
import { freePort } from '../../bench/free-port';
import { spawnServer, startServer } from '../helpers/server-process';

// The real server in a child process: start-up failures, SIGTERM, the mail worker.
// SQLite only (each test gets its own file); the PostgreSQL outage is in
// test/routes/database-outage.test.ts.

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'bostadsbyte-proc-'));
}

function sqliteEnv(dir: string, port: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PORT: String(port),
    DATA_DIR: dir,
    DATABASE_URL: `sqlite:${path.join(dir, 'board.sqlite')}`,
    MAIL_OUTBOX_DIR: path.join(dir, 'outbox'),
    ...extra,
  };
}

/** The cookie and CSRF token of the registration form. */
async function registrationForm(url: string): Promise<{ cookie: string; token: string }> {
  const res = await fetch(`${url}/register`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
  const token = /name="_csrf" value="([^"]+)"/.exec(await res.text())![1];
  return { cookie, token };
}

function count(file: string, sql: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY);
    db.get(sql, (err, row: { n: number }) => db.close(() => (err ? reject(err) : resolve(row.n))));
  });
}

describe('the server process', function () {
  this.timeout(60_000);

  describe('start-up errors: one line naming the problem and the setting, exit code 1', function () {
    // The first test waits for its case while all six processes load at once.
    this.timeout(180_000);
    interface Failure {
      code: number | string | null;
      lines: string[];
    }
    const fails = async (env: Record<string, string>): Promise<Failure> => {
      const server = spawnServer(env);
      const code = await server.exited;
      const lines = server.stderr().trim().split('\n');
      return { code, lines };
    };

    // Each case only loads the server and fails, so all of them start at once (the slow
    // part is loading the code) and each test reads its own case's outcome.
    let portInUse: Promise<Failure & { port: number }>;
    let notAFolder: Promise<Failure>;
    let notADatabase: Promise<Failure & { dir: string }>;
    let folderIsAFile: Promise<Failure & { dir: string }>;
    let postgresAway: Promise<Failure & { port: number }>;
    let badSetting: Promise<Failure>;
    before(async () => {
      // Seven different ports, taken before any case starts, so no two cases share one.
      const ports = new Set<number>();
      while (ports.size < 7) ports.add(await freePort());
      const [squatted, a, b, c, refusing, d, e] = [...ports];
      portInUse = (async () => {
        const dir = tmp();
        const port = squatted;
        const squatter = net.createServer().listen(port);
        try {
          return { ...(await fails(sqliteEnv(dir, port))), port };
        } finally {
          squatter.close();
        }
      })();
      notAFolder = (async () => {
        const dir = tmp();
        fs.writeFileSync(path.join(dir, 'a-file'), '');
        return fails({ ...sqliteEnv(dir, a), DATA_DIR: path.join(dir, 'a-file', 'data') });
      })();
      notADatabase = (async () => {
        const dir = tmp();
        fs.writeFileSync(path.join(dir, 'board.sqlite'), 'this is not a database, just some text '.repeat(200));
        return { ...(await fails(sqliteEnv(dir, b))), dir };
      })();
      folderIsAFile = (async () => {
        const dir = tmp();
        fs.writeFileSync(path.join(dir, 'a-file'), '');
        return { ...(await fails({ ...sqliteEnv(dir, c), DATABASE_URL: `sqlite:${dir}/a-file/board.sqlite` })), dir };
      })();
      postgresAway = (async () => {
        const port = refusing;
        return {
          ...(await fails({ ...sqliteEnv(tmp(), d), DATABASE_URL: `postgres://board:s3cret@127.0.0.1:${port}/board` })),
          port,
        };
      })();
      badSetting = fails({ ...sqliteEnv(tmp(), e), SHUTDOWN_TIMEOUT_SECONDS: 'soon' });
      // Each test awaits its own; these keep an early failure from going unhandled meanwhile.
      for (const p of [portInUse, notAFolder, notADatabase, folderIsAFile, postgresAway, badSetting]) p.catch(() => undefined);
    });

    it('a port in use', async () => {
      const { code, lines, port } = await portInUse;
      expect(code).to.equal(1);
      expect(lines).to.deep.equal([`Cannot listen: port ${port} is already in use (set PORT to a free port).`]);
    });

    it('a data folder that cannot be written', async () => {
      const { code, lines } = await notAFolder;
      expect(code).to.equal(1);
      expect(lines).to.have.length(1);
      expect(lines[0]).to.match(
        /^Cannot write to the data folder .*a-file\/data: a part of the path is not a folder \(DATA_DIR\)\.$/,
      );
    });

    it('a database file that is not a database', async () => {
      const { code, lines, dir } = await notADatabase;
      expect(code).to.equal(1);
      expect(lines).to.deep.equal([
        `Cannot open the database ${path.join(dir, 'board.sqlite')}: the file is not an SQLite database (DATABASE_URL).`,
      ]);
    });

    it('a database whose folder cannot be made', async () => {
      const { code, lines, dir } = await folderIsAFile;
      expect(code).to.equal(1);
      expect(lines).to.deep.equal([
        `Cannot open the database ${dir}/a-file/board.sqlite: a file stands where its folder should be (DATABASE_URL).`,
      ]);
    });

    it('a PostgreSQL server that does not answer, without printing the password', async () => {
      const { code, lines, port } = await postgresAway;
      expect(code).to.equal(1);
      expect(lines).to.deep.equal([
        `Cannot open the database postgres://127.0.0.1:${port}/board: connection refused (DATABASE_URL).`,
      ]);
    });

    it('a bad setting', async () => {
      const { code, lines } = await badSetting;
      expect(code).to.equal(1);
      expect(lines.join('\n')).to.contain('SHUTDOWN_TIMEOUT_SECONDS');
    });
  });

  describe('SIGTERM', () => {
    it('stops taking connections, finishes the request in flight, closes the database and exits 0', async () => {
      const dir = tmp();
      const server = await startServer(sqliteEnv(dir, await freePort()));
      const pidFile = path.join(dir, 'board.sqlite.pid');
      expect(fs.readFileSync(pidFile, 'utf8').trim()).to.equal(String(server.proc.pid));
      const { cookie, token } = await registrationForm(server.url);
      const body = new URLSearchParams({
        username: 'late_lotta',
        email: 'lotta@example.fi',
        phone: '',
        password: 'a long and unusual passphrase 7',
        password_confirm: 'a long and unusual passphrase 7',
        _csrf: token,
      }).toString();
      // A registration whose body is still on its way when SIGTERM arrives.
      const socket = net.connect(server.port, '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      let response = '';
      socket.on('data', (d) => (response += d.toString()));
      const answered = new Promise((r) => socket.once('end', r));
      socket.write(
        `POST /register HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body.slice(0, 20)}`,
      );
      await new Promise((r) => setTimeout(r, 300));
      server.proc.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      // New connections are refused at once.
      const refused = await fetch(`${server.url}/healthz`).then(
        () => false,
        () => true,
      );
      expect(refused, 'no new connections after SIGTERM').to.equal(true);
      socket.write(body.slice(20));
      await answered;
      expect(response).to.match(/^HTTP\/1\.1 303/);
      expect(await server.exited).to.equal(0);
      expect(server.stdout()).to.contain('"msg":"stopped"');
      expect(fs.existsSync(pidFile), 'the pid file is removed').to.equal(false);
      const file = path.join(dir, 'board.sqlite');
      expect(await count(file, "SELECT count(*) AS n FROM users WHERE username = 'late_lotta'")).to.equal(1);
    });

    it('finishes a registration whose browser went away before closing the database', async () => {
      const dir = tmp();
      // A slow password hash keeps the registration running after its connection is gone.
      const server = await startServer(sqliteEnv(dir, await freePort(), { ARGON2_TIME_COST: '400' }));
      const { cookie, token } = await registrationForm(server.url);
      const body = new URLSearchParams({
        username: 'gone_greta',
        email: 'greta@example.fi',
        phone: '',
        password: 'a long and unusual passphrase 8',
        password_confirm: 'a long and unusual passphrase 8',
        _csrf: token,
      }).toString();
      const socket = net.connect(server.port, '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      socket.on('error', () => undefined);
      socket.write(
        `POST /register HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      await new Promise((r) => setTimeout(r, 150));
      // The tenant closes the tab while the password is being hashed, then the server stops.
      socket.destroy();
      await new Promise((r) => setTimeout(r, 50));
      server.proc.kill('SIGTERM');
      expect(await server.exited).to.equal(0);
      expect(server.stdout()).to.not.contain('request failed');
      const file = path.join(dir, 'board.sqlite');
      expect(await count(file, "SELECT count(*) AS n FROM users WHERE username = 'gone_greta'")).to.equal(1);
    });

    it('closes a request that does not finish within SHUTDOWN_TIMEOUT_SECONDS and still exits 0', async () => {
      const dir = tmp();
      const server = await startServer(sqliteEnv(dir, await freePort(), { SHUTDOWN_TIMEOUT_SECONDS: '1' }));
      const socket = net.connect(server.port, '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      socket.on('error', () => undefined);
      const closed = new Promise((r) => socket.once('close', r));
      socket.write(
        'POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nuser',
      );
      await new Promise((r) => setTimeout(r, 200));
      const started = Date.now();
      server.proc.kill('SIGTERM');
      expect(await server.exited).to.equal(0);
      await closed;
      expect(Date.now() - started).to.be.within(900, 10_000);
      expect(server.stdout()).to.contain('closing their connections');
    });
  });

  it('answers a registration as fast as ever while the SMTP server hangs, keeping the mail queued', async () => {
    const dir = tmp();
    // An SMTP server that accepts connections and never says a word.
    const held = new Set<net.Socket>();
    const hanging = net.createServer((socket) => {
      held.add(socket);
      socket.on('error', () => undefined);
    });
    const smtpPort = await new Promise<number>((resolve) =>
      hanging.listen(0, '127.0.0.1', () => resolve((hanging.address() as net.AddressInfo).port)),
    );
    const server = await startServer(sqliteEnv(dir, await freePort(), { SMTP_URL: `smtp://127.0.0.1:${smtpPort}` }));
    try {
      const timings: number[] = [];
      for (const name of ['smtp_sara', 'smtp_sami']) {
        const { cookie, token } = await registrationForm(server.url);
        const started = Date.now();
        const res = await fetch(`${server.url}/register`, {
          method: 'POST',
          redirect: 'manual',
          headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            username: name,
            email: `${name}@example.fi`,
            phone: '',
            password: 'a long and unusual passphrase 7',
            password_confirm: 'a long and unusual passphrase 7',
            _csrf: token,
          }).toString(),
        });
        timings.push(Date.now() - started);
        expect(res.status).to.equal(303);
      }
      expect(Math.max(...timings), 'no request waits for the mail server').to.be.below(3000);
      await new Promise((r) => setTimeout(r, 500));
      expect(held.size, 'the worker is trying to deliver').to.be.at.least(1);
      expect(
        await count(path.join(dir, 'board.sqlite'), "SELECT count(*) AS n FROM mail_queue WHERE purpose = 'verify-email'"),
      ).to.equal(2);
    } finally {
      server.proc.kill('SIGTERM');
      expect(await server.exited, 'shuts down cleanly with a hanging mail server').to.equal(0);
      for (const s of held) s.destroy();
      hanging.close();
    }
  });

  it('delivers queued mail through the development transport (.eml files in MAIL_OUTBOX_DIR)', async () => {
    const dir = tmp();
    const server = await startServer(sqliteEnv(dir, await freePort()));
    try {
      const { cookie, token } = await registrationForm(server.url);
      const res = await fetch(`${server.url}/register`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          username: 'mail_maija',
          email: 'maija@example.fi',
          phone: '',
          password: 'a long and unusual passphrase 7',
          password_confirm: 'a long and unusual passphrase 7',
          _csrf: token,
        }).toString(),
      });
      expect(res.status).to.equal(303);
      const outbox = path.join(dir, 'outbox');
      const until = Date.now() + 10_000;
      while (Date.now() < until && !(fs.existsSync(outbox) && fs.readdirSync(outbox).length > 0))
        await new Promise((r) => setTimeout(r, 100));
      const files = fs.readdirSync(outbox);
      expect(files).to.have.length(1);
      expect(fs.readFileSync(path.join(outbox, files[0]), 'utf8')).to.contain('To: maija@example.fi');
      expect(await count(path.join(dir, 'board.sqlite'), 'SELECT count(*) AS n FROM mail_queue')).to.equal(0);
    } finally {
      server.proc.kill('SIGTERM');
      expect(await server.exited).to.equal(0);
    }
  });
});
