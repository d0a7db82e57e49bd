import crypto from 'node:crypto';
import os from 'node:os';
import { Op, type Transaction, UniqueConstraintError } from 'sequelize';
import { JobLock } from '../models/job-lock';

// A lease in the job_locks table, so that two servers, or a server and the CLI, never run
// the same job at once. The table is in the shared database, so the lease holds across
// processes on one SQLite file and across machines on PostgreSQL.
//
// - acquire: INSERT the row (the primary key makes this atomic: exactly one inserter
//   wins); if a row exists, take it over only with a conditional UPDATE … WHERE
//   locked_until < now, which also succeeds for exactly one contender. Both are single
//   statements, so no transaction or advisory lock is needed on either database.
// - renew: push locked_until forward, only while we are still the holder.
// - release: delete the row, only if we are still the holder.
// A holder that crashes leaves its row behind; the lease simply runs out after `ttlMs`
// and the next run takes over — at once when the holder was a process on this machine
// that no longer exists (a killed CLI or server need not block the job for the whole
// lease). Times here are wall-clock times, never a job's as-of time.

export interface Lease {
  readonly name: string;
  readonly holder: string;
  /** Extends the lease; false when it was lost (expired and taken by someone else). */
  renew(transaction?: Transaction): Promise<boolean>;
  release(): Promise<void>;
}

export interface LockOptions {
  ttlMs: number;
  /** Wall clock, injectable for tests. */
  clock?: () => Date;
  holder?: string;
}

export function newHolderId(): string {
  return `${os.hostname().slice(0, 40)}:${process.pid}:${crypto.randomBytes(6).toString('hex')}`.slice(0, 80);
}

/** True when a holder id names a process on this machine that has died. */
function holderIsDeadHere(holder: string): boolean {
  const [host, pidText] = holder.split(':');
  const pid = Number(pidText);
  if (host !== os.hostname().slice(0, 40) || !Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as { code?: string }).code === 'ESRCH';
  }
}

export async function acquireLock(name: string, opts: LockOptions): Promise<Lease | null> {
  const clock = opts.clock ?? (() => new Date());
  const holder = opts.holder ?? newHolderId();
  const until = () => new Date(clock().getTime() + opts.ttlMs);
  let acquired: boolean;
  try {
    await JobLock.create({ name, holder, lockedUntil: until() });
    acquired = true;
  } catch (err) {
    if (!(err instanceof UniqueConstraintError)) throw err;
    const [count] = await JobLock.update(
      { holder, lockedUntil: until() },
      { where: { name, lockedUntil: { [Op.lt]: clock() } } },
    );
    acquired = count === 1;
    if (!acquired) {
      const row = await JobLock.findByPk(name);
      if (row && holderIsDeadHere(row.holder)) {
        const [taken] = await JobLock.update({ holder, lockedUntil: until() }, { where: { name, holder: row.holder } });
        acquired = taken === 1;
      }
    }
  }
  if (!acquired) return null;
  return {
    name,
    holder,
    async renew(transaction?: Transaction) {
      const [count] = await JobLock.update({ lockedUntil: until() }, { where: { name, holder }, transaction });
      return count === 1;
    },
    async release() {
      await JobLock.destroy({ where: { name, holder } });
    },
  };
}
