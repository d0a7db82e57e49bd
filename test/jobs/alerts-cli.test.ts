import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { acquireLock } from '../../jobs/lock';
import { ALERTS_LOCK_NAME } from '../../jobs/alerts';
import { alertsCli } from '../../jobs/alerts-cli';
import { context } from '../helpers/context';
import { createListing, createUser } from '../helpers/factories';

// `npm run alerts -- [--dry-run] [--now ISO]` (jobs/alerts-cli.ts): the same job as the
// server's schedule, its last line `Sent N alert e-mails.`; two processes started together
// send each alert once.

async function cli(args: string[]) {
  const c = context();
  const out: string[] = [];
  const err: string[] = [];
  const code = await alertsCli(
    args,
    { out: (l) => out.push(l), err: (l) => err.push(l) },
    {
      config: c.config,
      db: c.db,
      mailer: c.mailer,
      logger: c.deps.logger,
    },
  );
  return { code, out, err, last: out[out.length - 1] };
}

/** `n` tenants in Kallio who opted in to new swaps, and one new swap for all of them. */
async function tenantsWithNews(n: number) {
  const users = [];
  for (let i = 0; i < n; i += 1) {
    const user = await createUser();
    await createListing(user);
    await context().board.services.alerts.updateAlerts(user, { newSwaps: true, searchIds: [] });
    users.push(user);
  }
  await createListing(undefined, { district: 'vallila', postalCode: '00510', wantedDistricts: ['kallio'] });
  return users;
}

describe('npm run alerts (jobs/alerts-cli.ts)', () => {
  it('sends the alerts as of --now and says how many on its last line', async () => {
    await tenantsWithNews(2);
    const { code, out, last } = await cli(['--now', '2027-01-10T05:00:00Z']);
    expect(code).to.equal(0);
    expect(out[0]).to.equal('Alerts as of 2027-01-10T05:00:00.000Z');
    expect(last).to.equal('Sent 2 alert e-mails.');
    expect(context().mailer.sent).to.have.length(2);
    expect((await cli(['--now', '2027-01-10T05:00:00Z'])).last).to.equal('Sent 0 alert e-mails.');
  });

  it('with --dry-run counts and sends nothing', async () => {
    await tenantsWithNews(1);
    const { code, last } = await cli(['--dry-run', '--now=2027-01-10']);
    expect(code).to.equal(0);
    expect(last).to.equal('Dry run: would send 1 alert e-mails.');
    expect(context().mailer.sent).to.have.length(0);
    expect((await cli(['--now=2027-01-10'])).last).to.equal('Sent 1 alert e-mails.');
  });

  it('exits 0 and says so when another run holds the lock; exits 2 on bad arguments', async () => {
    const lease = await acquireLock(ALERTS_LOCK_NAME, { ttlMs: 60_000 });
    const skipped = await cli([]);
    await lease!.release();
    expect(skipped.code).to.equal(0);
    expect(skipped.last).to.equal('Skipped: another run holds the lock. Sent 0 alert e-mails.');
    for (const args of [['--bogus'], ['--now'], ['--now', 'tomorrow'], ['extra']]) {
      const { code, err } = await cli(args);
      expect(code, args.join(' ')).to.equal(2);
      expect(err.join('\n')).to.contain('Usage: npm run alerts');
    }
  });

  describe('as two separate processes at once', function () {
    this.timeout(90_000);
    const root = path.resolve(__dirname, '../..');

    function run(args: string[], outbox: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
      const c = context();
      return new Promise((resolve) => {
        const child = spawn(
          process.execPath,
          [path.join(root, 'node_modules/tsx/dist/cli.mjs'), path.join(root, 'jobs/alerts-cli.ts'), ...args],
          {
            cwd: root,
            env: {
              PATH: process.env.PATH,
              TZ: 'UTC',
              NODE_ENV: 'test',
              LOG_LEVEL: 'silent',
              DATA_DIR: c.tmpDir,
              MAIL_OUTBOX_DIR: outbox,
              DATABASE_URL: c.config.database.url,
              BASE_URL: 'http://board.test',
              SESSION_SECRET: 'cli-test-secret-cli-test-secret-12345',
            },
          },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('exit', (code) => resolve({ code, stdout, stderr }));
      });
    }

    it('send each alert once between them (the lease, then the daily claim)', async () => {
      const users = await tenantsWithNews(5);
      const outbox = path.join(context().tmpDir, `alerts-outbox-${Date.now()}`);
      const [a, b] = await Promise.all([
        run(['--now', '2027-01-10T05:00:00Z'], outbox),
        run(['--now', '2027-01-10T05:00:00Z'], outbox),
      ]);
      expect(a.code, a.stderr).to.equal(0);
      expect(b.code, b.stderr).to.equal(0);
      const counts = [a, b].map((r) => Number(/Sent (\d+) alert e-mails\.$/.exec(r.stdout.trim())![1]));
      expect(counts[0] + counts[1]).to.equal(5);
      const files = fs.readdirSync(outbox).filter((f) => f.endsWith('.eml'));
      expect(files).to.have.length(5);
      const recipients = files.map((f) => /^To: (.+)$/m.exec(fs.readFileSync(path.join(outbox, f), 'utf8'))![1].trim());
      expect(recipients.sort()).to.deep.equal(users.map((u) => u.email).sort());
      // And a third run afterwards finds nothing left to send.
      const again = await run(['--now', '2027-01-10T06:00:00Z'], outbox);
      expect(again.stdout.trim().split('\n').pop()).to.equal('Sent 0 alert e-mails.');
    });
  });
});
