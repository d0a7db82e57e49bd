import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import sqlite3 from 'sqlite3';
import { createPrivately } from '../../models';
import { QueryTypes, type Transaction } from 'sequelize';
import { Token } from '../../models/token';
import { User } from '../../models/user';
import { context } from '../helpers/context';
import { createUser } from '../helpers/factories';

describe('the database connection', () => {
  const onSqlite = () => context().db.dialect === 'sqlite';

  it('runs SQLite in WAL mode with foreign keys, a busy timeout and secure_delete on every connection', async function () {
    if (!onSqlite()) this.skip();
    const { sequelize } = context().db;
    const read = async (pragma: string, transaction?: Transaction) => {
      const rows = await sequelize.query<Record<string, unknown>>(`PRAGMA ${pragma}`, { transaction, type: QueryTypes.SELECT });
      return Object.values(rows[0])[0];
    };
    for (const check of [undefined, 'in a transaction']) {
      const run = async (transaction?: Transaction) => {
        expect(await read('journal_mode', transaction), `journal_mode ${check}`).to.equal('wal');
        expect(await read('foreign_keys', transaction)).to.equal(1);
        expect(await read('secure_delete', transaction)).to.equal(1);
        expect(Number(await read('busy_timeout', transaction))).to.be.at.least(5000);
      };
      if (check) await sequelize.transaction((t) => run(t));
      else await run();
    }
  });

  it('creates a SQLite file and its write-ahead log readable by the owner only (0600)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bb-mode-'));
    const storage = path.join(dir, 'sub', 'board.sqlite');
    try {
      // What createDb does before Sequelize opens the file; then SQLite as it runs here.
      createPrivately(storage);
      const conn = new sqlite3.Database(storage);
      const run = (sql: string) =>
        new Promise<void>((resolve, reject) => conn.run(sql, (err) => (err ? reject(err) : resolve())));
      await run('PRAGMA journal_mode = WAL');
      await run('CREATE TABLE t (x TEXT)');
      await run("INSERT INTO t VALUES ('personal data')");
      for (const file of [storage, `${storage}-wal`, `${storage}-shm`]) {
        expect(fs.statSync(file).mode & 0o777, file).to.equal(0o600);
      }
      await new Promise<void>((resolve) => conn.close(() => resolve()));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('enforces foreign keys: deleting a user deletes their rows', async () => {
    const user = await createUser();
    await Token.create({
      userId: user.id,
      purpose: 'verify_email',
      tokenHash: 'a'.repeat(64),
      expiresAt: new Date(),
      usedAt: null,
    });
    await user.destroy();
    expect(await Token.count()).to.equal(0);
  });

  it('does not fail with SQLITE_BUSY when many write transactions run at once', async () => {
    const users = await Promise.all(Array.from({ length: 5 }, () => createUser()));
    const { sequelize } = context().db;
    const writes = Array.from({ length: 40 }, (_, i) =>
      sequelize.transaction(async (transaction) => {
        const u = users[i % users.length];
        const fresh = await User.findByPk(u.id, { transaction });
        await fresh!.update({ phone: `+35840${String(i).padStart(6, '0')}` }, { transaction });
        await new Promise((r) => setTimeout(r, 2));
        await User.update({ showPhone: i % 2 === 0 }, { where: { id: u.id }, transaction });
      }),
    );
    const results = await Promise.allSettled(writes);
    const failures = results.filter((r) => r.status === 'rejected');
    expect(failures.map((f) => String((f as PromiseRejectedResult).reason))).to.deep.equal([]);
  });

  it('counts rate limits correctly while many requests and write transactions run at once', async () => {
    const { rateLimits, db } = context();
    const limit = rateLimits.get('message');
    const users = await Promise.all(Array.from({ length: 3 }, () => createUser()));
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 60; i++) {
      work.push(limit.consume(`key-${i % 4}`));
      work.push(
        db.sequelize.transaction((transaction) =>
          User.update({ showPhone: i % 2 === 0 }, { where: { id: users[i % 3].id }, transaction }),
        ),
      );
    }
    const results = await Promise.allSettled(work);
    expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).to.deep.equal(
      [],
    );
    // Each of the four keys was counted fifteen times: no update was lost or rolled back.
    for (let k = 0; k < 4; k++) {
      const left = context().config.limits.messagesPerHour - 15;
      if (left > 0) expect(await limit.isBlocked(`key-${k}`)).to.equal(false);
    }
    await limit.consume('key-0', context().config.limits.messagesPerHour - 15).catch(() => undefined);
    expect(await limit.isBlocked('key-0')).to.be.a('number');
    // And the database still takes writes afterwards.
    await db.sequelize.transaction((transaction) =>
      User.update({ showPhone: true }, { where: { id: users[0].id }, transaction }),
    );
  });

  describe('reads in parallel (SQLite read pool)', () => {
    it('answers a quick read while a slow one is still running', async function () {
      if (!onSqlite()) this.skip();
      const user = await createUser();
      const finished: string[] = [];
      // A deliberately slow read (counts to three million); one connection would run the
      // quick read only after it.
      const slow = context()
        .db.sequelize.query(
          'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) SELECT COUNT(*) AS n FROM c',
          { type: QueryTypes.SELECT },
        )
        .then(() => finished.push('slow'));
      await new Promise((resolve) => setTimeout(resolve, 20));
      const quick = User.findByPk(user.id).then(() => finished.push('quick'));
      await Promise.all([slow, quick]);
      expect(finished).to.deep.equal(['quick', 'slow']);
    });

    it('never serves a read that misses a write the same request made before it (read-your-writes)', async () => {
      const users = await Promise.all(Array.from({ length: 40 }, () => createUser()));
      // Many tenants at once, each reading right after its own write.
      const seen = await Promise.all(
        users.map(async (user) => {
          await User.update({ phone: `+35840${user.id}` }, { where: { id: user.id } });
          return (await User.findByPk(user.id))?.phone;
        }),
      );
      expect(seen).to.deep.equal(users.map((u) => `+35840${u.id}`));
      // Sequential form, where the answer is exact.
      for (const user of users) {
        await User.update({ phone: '+358500000000' }, { where: { id: user.id } });
        expect((await User.findByPk(user.id))?.phone).to.equal('+358500000000');
        await context().db.sequelize.transaction(async (transaction) => {
          await User.update({ phone: '+358511111111' }, { where: { id: user.id }, transaction });
          // Inside the transaction the read runs on the transaction's own connection.
          expect((await User.findByPk(user.id, { transaction }))?.phone).to.equal('+358511111111');
        });
        expect((await User.findByPk(user.id))?.phone).to.equal('+358511111111');
      }
    });
  });
});
