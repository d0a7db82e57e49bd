import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { acquireLock } from '../../jobs/lock';
import { parseInstant, purgeCli, type CliDeps } from '../../jobs/purge-cli';
import { PURGE_LOCK_NAME } from '../../jobs/purge';
import { PurgeRun } from '../../models/purge-run';
import { User } from '../../models/user';
import { context } from '../helpers/context';
import { createUser } from '../helpers/factories';

/** Runs the CLI in-process against the suite's database; returns its exit code and output lines. */
async function cli(args: string[], deps: Partial<CliDeps> = {}) {
  const c = context();
  const out: string[] = [];
  const err: string[] = [];
  const code = await purgeCli(
    args,
    { out: (l) => out.push(l), err: (l) => err.push(l) },
    {
      config: c.config,
      db: c.db,
      mailer: c.mailer,
      logger: c.deps.logger,
      ...deps,
    },
  );
  return { code, out, err, last: out[out.length - 1] };
}

const LONG_AGO = new Date('2026-01-01T00:00:00Z');

describe('npm run purge (jobs/purge-cli.ts)', () => {
  it('deletes the passive accounts as of --now and says how many on its last line', async () => {
    await createUser({ lastLoginAt: LONG_AGO });
    await createUser({ lastLoginAt: LONG_AGO });
    await createUser({ lastLoginAt: new Date('2026-05-01T00:00:00Z') });
    const { code, out, last } = await cli(['--now', '2026-06-01T00:00:00Z']);
    expect(code).to.equal(0);
    expect(out[0]).to.contain('Purge as of 2026-06-01T00:00:00.000Z');
    expect(last).to.equal('Deleted 2 accounts.');
    expect(await User.count()).to.equal(1);
  });

  it('with --dry-run counts what it would delete and changes nothing', async () => {
    await createUser({ lastLoginAt: LONG_AGO });
    const { code, last } = await cli(['--dry-run', '--now=2026-06-01']);
    expect(code).to.equal(0);
    expect(last).to.equal('Dry run: would delete 1 account.');
    expect(await User.count()).to.equal(1);
    expect((await PurgeRun.findOne())!.dryRun).to.equal(true);
  });

  it('uses the clock when --now is not given', async () => {
    await createUser({ lastLoginAt: LONG_AGO });
    const { code, last } = await cli([], { clock: () => new Date('2026-04-01T00:00:01Z') });
    expect(code).to.equal(0);
    expect(last).to.equal('Deleted 1 account.');
  });

  it('exits 0 and says so when another run holds the lock', async () => {
    await createUser({ lastLoginAt: LONG_AGO });
    const other = await acquireLock(PURGE_LOCK_NAME, { ttlMs: 60_000 });
    const { code, last } = await cli(['--now', '2026-06-01T00:00:00Z']);
    await other!.release();
    expect(code).to.equal(0);
    expect(last).to.equal('Skipped: another run holds the lock. Deleted 0 accounts.');
    expect(await User.count()).to.equal(1);
  });

  it('exits 1 when the run fails, saying how many were deleted before the failure', async () => {
    await createUser({ lastLoginAt: LONG_AGO });
    const { db } = context();
    const broken = {
      ...db,
      sequelize: new Proxy(db.sequelize, {
        get: (target, prop, receiver) =>
          prop === 'transaction' ? () => Promise.reject(new Error('database went away')) : Reflect.get(target, prop, receiver),
      }),
    };
    const { code, last } = await cli(['--now', '2026-06-01T00:00:00Z'], { db: broken });
    expect(code).to.equal(1);
    expect(last).to.match(/^Failed: Error: database went away\. Deleted 0 accounts before the failure/);
    expect(await PurgeRun.findOne({ where: { outcome: 'failed' } })).to.not.equal(null);
  });

  it('exits 2 with the usage on bad arguments', async () => {
    for (const args of [['--bogus'], ['--now'], ['--now', 'yesterday'], ['--now', '2027-02-30'], ['extra'], ['--dry-run=yes']]) {
      const { code, err, out } = await cli(args);
      expect(code, args.join(' ')).to.equal(2);
      expect(err.join('\n')).to.contain('Usage: npm run purge -- [--dry-run] [--now ISO-8601]');
      expect(out).to.deep.equal([]);
    }
    expect(await PurgeRun.count()).to.equal(0);
  });

  it('prints the usage for --help', async () => {
    const { code, out } = await cli(['--help']);
    expect(code).to.equal(0);
    expect(out[0]).to.contain('Usage');
  });

  it('reads --now as ISO-8601, in UTC when no zone is given', () => {
    expect(parseInstant('2027-02-28')!.toISOString()).to.equal('2027-02-28T00:00:00.000Z');
    expect(parseInstant('2027-02-28T12:30')!.toISOString()).to.equal('2027-02-28T12:30:00.000Z');
    expect(parseInstant('2027-02-28T12:30:15.5Z')!.toISOString()).to.equal('2027-02-28T12:30:15.500Z');
    expect(parseInstant('2027-02-28T14:30:00+02:00')!.toISOString()).to.equal('2027-02-28T12:30:00.000Z');
    expect(parseInstant('2027-02-28T14:30:00+0200')!.toISOString()).to.equal('2027-02-28T12:30:00.000Z');
    for (const bad of ['28.2.2027', 'now', '2027-13-01', '2027-02-28T25:00', ''])
      expect(parseInstant(bad), bad).to.equal(undefined);
  });

  describe('as a separate process', function () {
    this.timeout(60_000);
    const root = path.resolve(__dirname, '../..');
    function run(args: string[]) {
      const c = context();
      return spawnSync(
        process.execPath,
        [path.join(root, 'node_modules/tsx/dist/cli.mjs'), path.join(root, 'jobs/purge-cli.ts'), ...args],
        {
          cwd: root,
          encoding: 'utf8',
          env: {
            PATH: process.env.PATH,
            TZ: 'UTC',
            NODE_ENV: 'test',
            LOG_LEVEL: 'silent',
            DATA_DIR: c.tmpDir,
            MAIL_OUTBOX_DIR: path.join(c.tmpDir, 'outbox'),
            DATABASE_URL: c.config.database.url,
            SESSION_SECRET: 'cli-test-secret-cli-test-secret-12345',
          },
        },
      );
    }

    it('deletes, prints the count on its last line and exits 0 (another process, same database)', async () => {
      await createUser({ lastLoginAt: LONG_AGO });
      const child = run(['--now', '2026-06-01T00:00:00Z']);
      expect(child.status, child.stderr).to.equal(0);
      expect(child.stdout.trim().split('\n').pop()).to.equal('Deleted 1 account.');
      expect(await User.count()).to.equal(0);
    });

    it('is skipped while this process holds the lock, and exits 2 on bad arguments', async () => {
      const lease = await acquireLock(PURGE_LOCK_NAME, { ttlMs: 60_000 });
      const skipped = run(['--now', '2026-06-01T00:00:00Z']);
      await lease!.release();
      expect(skipped.status, skipped.stderr).to.equal(0);
      expect(skipped.stdout.trim().split('\n').pop()).to.equal('Skipped: another run holds the lock. Deleted 0 accounts.');
      const bad = run(['--now', 'tomorrow']);
      expect(bad.status).to.equal(2);
      expect(bad.stderr).to.contain('Usage');
    });
  });
});
