import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import sqlite3 from 'sqlite3';
import { backupName, backupSqlite, pidFileOf, restoreSqlite } from '../../jobs/backup';
import { User } from '../../models/user';
import { context } from '../helpers/context';
import { createUser } from '../helpers/factories';

function query<T>(file: string, sql: string): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY);
    db.all(sql, (err, rows) => db.close(() => (err ? reject(err) : resolve(rows as T[]))));
  });
}

// On SQLite only: PostgreSQL is backed up with pg_dump (README, "Operating the board").
if (!process.env.TEST_DATABASE_URL)
  describe('npm run backup / npm run restore (jobs/backup.ts)', () => {
    const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bostadsbyte-backup-'));

    it('copies the live database consistently while it is being written, mode 0600', async () => {
      const storage = context().config.database.storage!;
      await createUser({ username: 'backed_up' });
      const to = dir();
      // Writes go on while the backup runs.
      let writing = true;
      const writer = (async () => {
        let n = 0;
        while (writing) await createUser({ username: `during_${n++}` });
        return n;
      })();
      const result = await backupSqlite({ storage, dir: to, retentionDays: 14, now: new Date('2027-01-10T03:00:00Z') });
      writing = false;
      await writer;
      expect(path.basename(result.file)).to.equal('bostadsbyte-20270110T030000Z.sqlite');
      expect(fs.statSync(result.file).mode & 0o777).to.equal(0o600);
      const [check] = await query<{ integrity_check: string }>(result.file, 'PRAGMA integrity_check');
      expect(check.integrity_check).to.equal('ok');
      const names = (await query<{ username: string }>(result.file, 'SELECT username FROM users')).map((u) => u.username);
      expect(names).to.include('backed_up');
      expect(fs.readdirSync(to).filter((f) => f.endsWith('.partial'))).to.deep.equal([]);
    });

    it('deletes backups in the folder older than BACKUP_RETENTION_DAYS, and nothing else', async () => {
      const storage = context().config.database.storage!;
      const to = dir();
      const now = new Date('2027-01-30T03:00:00Z');
      const day = 24 * 3600_000;
      const old = path.join(to, backupName(new Date(now.getTime() - 15 * day)));
      const recent = path.join(to, backupName(new Date(now.getTime() - 13 * day)));
      const other = path.join(to, 'notes.txt');
      for (const f of [old, recent, other]) fs.writeFileSync(f, 'x');
      const result = await backupSqlite({ storage, dir: to, retentionDays: 14, now });
      expect(result.deleted).to.deep.equal([old]);
      expect(fs.readdirSync(to).sort()).to.deep.equal([path.basename(result.file), path.basename(recent), 'notes.txt'].sort());
    });

    it('restores a backup, and refuses while a server runs on the database', async () => {
      const to = dir();
      const storage = path.join(to, 'board.sqlite');
      // A board of its own on a file, so that replacing it leaves the suite's database alone.
      const c = context();
      await createUser({ username: 'in_backup' });
      const backup = await backupSqlite({ storage: c.config.database.storage!, dir: to, retentionDays: 14, now: new Date() });
      await new Promise<void>((resolve, reject) => {
        const db = new sqlite3.Database(storage);
        db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT)', (e) => db.close(() => (e ? reject(e) : resolve())));
      });

      fs.writeFileSync(pidFileOf(storage), `${process.pid}\n`);
      let refused: Error | undefined;
      await restoreSqlite({ storage, file: backup.file }).catch((e: Error) => (refused = e));
      expect(refused?.message).to.contain('running on');
      expect(await query(storage, "SELECT * FROM users WHERE username = 'in_backup'")).to.have.length(0);

      // A pid file left by a server that died does not block.
      fs.writeFileSync(pidFileOf(storage), '999999999\n');
      await restoreSqlite({ storage, file: backup.file });
      expect(await query(storage, "SELECT * FROM users WHERE username = 'in_backup'")).to.have.length(1);
      expect(fs.statSync(storage).mode & 0o777).to.equal(0o600);

      // Not a database of the board: refused.
      const bogus = path.join(to, 'bogus.sqlite');
      fs.writeFileSync(bogus, 'not a database '.repeat(100));
      let bad: Error | undefined;
      await restoreSqlite({ storage, file: bogus }).catch((e: Error) => (bad = e));
      expect(bad).to.not.equal(undefined);
      expect(await User.count()).to.be.at.least(1);
    });
  });
