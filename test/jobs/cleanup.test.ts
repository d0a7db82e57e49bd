import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { runCleanup } from '../../jobs/cleanup';
import { runPurge } from '../../jobs/purge';
import { createLogger } from '../../server/logger';
import { deleteOutboxMailsTo, pruneOutbox } from '../../server/mail/outbox';
import { accountLimitKeys } from '../../server/services/rate-limits';
import { context } from '../helpers/context';
import { createUser, DEFAULT_PASSWORD } from '../helpers/factories';
import { signIn, submit } from '../helpers/http';

const keys = async (): Promise<string[]> =>
  (await context().db.sequelize.query<{ key: string }>('SELECT key FROM rate_limits', { type: QueryTypes.SELECT })).map(
    (r) => r.key,
  );

describe('rate-limit counters and the outbox do not outlive their use', () => {
  it('stores keys as HMACs with a server secret, not plain SHA-256 of the IP or account', async () => {
    const limits = context().rateLimits;
    await limits.get('loginIp').consume('203.0.113.7');
    const sha = crypto.createHash('sha256').update('203.0.113.7').digest('base64url').slice(0, 32);
    const stored = await keys();
    expect(stored).to.have.length(1);
    expect(stored[0]).to.match(/^loginIp:/);
    expect(stored[0]).to.not.contain(sha);
    expect(stored[0]).to.not.contain('203.0.113.7');
    // The account's keys are the ones the deletion removes.
    await limits.get('loginAccount').consume('user:42');
    expect(await keys()).to.include(accountLimitKeys(context().config, 42)[0]);
  });

  it('removes expired counters and keeps live ones (the scheduled cleanup)', async () => {
    const { db, config } = context();
    await context().rateLimits.get('loginIp').consume('198.51.100.1');
    await db.sequelize.query("INSERT INTO rate_limits (key, points, expire) VALUES ('loginIp:old', 3, 1000)");
    const result = await runCleanup({ now: new Date(), db, config });
    expect(result.rateLimitRows).to.equal(1);
    const left = await keys();
    expect(left).to.have.length(1);
    expect(left[0]).to.not.equal('loginIp:old');
  });

  it("deletes an account's counters and its outbox mails with the account, by its own erasure", async () => {
    const user = await createUser();
    const { outboxDir } = context().config;
    fs.mkdirSync(outboxDir, { recursive: true });
    const mail = path.join(outboxDir, `erase-${user.id}.eml`);
    fs.writeFileSync(mail, `From: board@localhost\nTo: ${user.email}\nSubject: x\n\nHello\n`);
    const a = await signIn(user);
    // A wrong password first, then the right one: the counter holds one failure.
    await submit(a, '/account/delete', { password: 'not my password' }, '/account/data');
    const theirs = accountLimitKeys(context().config, user.id);
    expect((await keys()).some((k) => theirs.includes(k))).to.equal(true);
    expect((await submit(a, '/account/delete', { password: DEFAULT_PASSWORD }, '/account/data')).status).to.equal(303);
    expect((await keys()).some((k) => theirs.includes(k))).to.equal(false);
    expect(fs.existsSync(mail)).to.equal(false);
  });

  it("deletes a passive account's counters in the purge", async () => {
    const { db, config, logs } = context();
    const user = await createUser({ lastLoginAt: new Date('2026-01-01T00:00:00Z') });
    await context().rateLimits.get('mail').consume(`user:${user.id}`);
    const theirs = accountLimitKeys(config, user.id);
    expect((await keys()).some((k) => theirs.includes(k))).to.equal(true);
    await runPurge({
      now: new Date('2026-11-28T12:00:00Z'),
      db,
      config,
      logger: createLogger('silent', logs),
      clock: () => new Date(),
    });
    expect((await keys()).some((k) => theirs.includes(k))).to.equal(false);
  });

  it('prunes outbox mails older than a week, and deletes the mails to an erased address', () => {
    const dir = path.join(context().tmpDir, 'outbox-test');
    fs.mkdirSync(dir, { recursive: true });
    const write = (name: string, to: string, ageDays: number) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, `From: board@localhost\nTo: ${to}\nSubject: x\n\nHello\n`);
      const t = new Date(Date.now() - ageDays * 86_400_000);
      fs.utimesSync(file, t, t);
    };
    write('old.eml', 'a@example.fi', 8);
    write('new.eml', 'b@example.fi', 1);
    write('gone.eml', 'Gone Person <Gone@Example.fi>', 1);
    expect(pruneOutbox(dir, new Date())).to.equal(1);
    expect(deleteOutboxMailsTo(dir, ['gone@example.fi'])).to.equal(1);
    expect(fs.readdirSync(dir).sort()).to.deep.equal(['new.eml']);
  });
});
