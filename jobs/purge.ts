import { Op, Transaction } from 'sequelize';
import type { Db } from '../models';
import { PURGE_OUTCOME, PurgeRun, type PurgeOutcome } from '../models/purge-run';
import { User } from '../models/user';
import type { Config } from '../server/config';
import { deleteOutboxMailsTo } from '../server/mail/outbox';
import type { Logger } from '../server/logger';
import { enqueueMail } from '../server/mail/queue';
import { renderMail } from '../server/mail/templates';
import { deleteAccounts } from '../server/services/account-deletion';
import { isPassive, isWarningDue, passiveBounds, purgeDeadline, warningBounds } from '../server/services/retention';
import { acquireLock, type Lease } from './lock';

// The purge job (docs/product.md#the-purge): deletes every passive tenant account (no sign-in for
// PURGE_RETENTION_MONTHS calendar months) and, first, e-mails the owners of accounts whose
// deadline is PURGE_WARNING_DAYS days away or closer. A plain function: the server's
// scheduler (jobs/scheduler.ts), the CLI (jobs/purge-cli.ts) and the tests all call it.
//
// - Moderators (role admin) are never touched.
// - Bounded memory: candidates are read in pages of PURGE_BATCH_SIZE by id (keyset), never
//   all at once; each page is confirmed with the exact rule in JS (see retention.ts for why
//   SQL alone cannot decide at month ends) and deleted in its own transaction.
// - Crash-safe and idempotent: a batch is deleted completely or not at all; a rerun
//   finds whatever is left and finishes. Running twice deletes nothing more.
// - One run at a time across processes and machines: a lease in job_locks (lock.ts). A run
//   that finds the lease held records a purge_runs row with outcome "skipped" and returns.
// - Every run (skipped, dry, ok or failed) is one purge_runs row: start, end, as-of time,
//   counts, outcome, error. Never a username or address.
// - On SQLite the write-ahead log is checkpointed (TRUNCATE) after deletions; with
//   secure_delete on, no trace of the deleted rows remains in the database files.

export const PURGE_LOCK_NAME = 'purge';
/** How long a run's lease lasts without renewal; renewed after every batch. */
export const PURGE_LOCK_TTL_MS = 10 * 60 * 1000;

export interface PurgeHooks {
  /** Called inside each deletion batch's transaction before it commits (tests inject failures here). */
  beforeCommit?(batch: number, userIds: number[]): void | Promise<void>;
  /** Called after each deletion batch has committed, outside any transaction. */
  afterBatch?(batch: number): void | Promise<void>;
}

export interface PurgeDeps {
  /** The as-of instant: "three months ago" is evaluated from here. */
  now: Date;
  db: Db;
  logger: Logger;
  config: Pick<Config, 'purge' | 'baseUrl' | 'org' | 'sessionSecret' | 'outboxDir' | 'smtpUrl'>;
  /** Count what would happen; delete nothing, send nothing. */
  dryRun?: boolean;
  /** Wall clock for the run's start/end times and the lease (defaults to real time). */
  clock?: () => Date;
  hooks?: PurgeHooks;
  lockTtlMs?: number;
  /** Shutdown: the batch in progress commits, then the run stops (the next run finishes the job). */
  signal?: AbortSignal;
}

export interface PurgeResult {
  runId: number;
  outcome: PurgeOutcome;
  dryRun: boolean;
  asOf: Date;
  /** Accounts deleted (or, in a dry run, that would be deleted). */
  deleted: number;
  /** Warning e-mails queued (or, in a dry run, that would be). */
  warned: number;
  error: string | null;
}

/** An error for the purge_runs row and the log: its kind and message, never an address or a number. */
function describeError(err: unknown): string {
  const e = err instanceof Error ? err : new Error(String(err));
  return `${e.name}: ${e.message}`
    .replace(/[^\s@'"]+@[^\s@'"]+/g, '[redacted]')
    .replace(/\+?\d[\d ()-]{5,}\d/g, '[redacted]')
    .slice(0, 500);
}

export async function runPurge(deps: PurgeDeps): Promise<PurgeResult> {
  const { now, db, logger, config } = deps;
  const dryRun = deps.dryRun ?? false;
  const clock = deps.clock ?? (() => new Date());
  const { retentionMonths: months, batchSize } = config.purge;

  const lease = await acquireLock(PURGE_LOCK_NAME, { ttlMs: deps.lockTtlMs ?? PURGE_LOCK_TTL_MS, clock });
  if (!lease) {
    const at = clock();
    const row = await PurgeRun.create({
      startedAt: at,
      finishedAt: at,
      asOf: now,
      dryRun,
      outcome: PURGE_OUTCOME.SKIPPED,
      error: 'another run holds the lock',
      deletedCount: 0,
      warnedCount: 0,
    });
    logger.warn({ runId: row.id }, 'purge skipped: another run holds the lock');
    return { runId: row.id, outcome: PURGE_OUTCOME.SKIPPED, dryRun, asOf: now, deleted: 0, warned: 0, error: row.error };
  }

  let run: PurgeRun | undefined;
  let deleted = 0;
  let warned = 0;
  try {
    // Holding the lease means no other run is alive: a row still "running" is from a
    // process that died mid-run. Its deleted batches are committed; this run finishes the rest.
    await PurgeRun.update(
      { outcome: PURGE_OUTCOME.FAILED, error: 'interrupted (the process stopped mid-run)', finishedAt: clock() },
      { where: { outcome: PURGE_OUTCOME.RUNNING } },
    );
    run = await PurgeRun.create({
      startedAt: clock(),
      finishedAt: null,
      asOf: now,
      dryRun,
      outcome: PURGE_OUTCOME.RUNNING,
      error: null,
      deletedCount: 0,
      warnedCount: 0,
    });
    logger.info({ runId: run.id, asOf: now.toISOString(), dryRun }, 'purge started');

    warned = await queueWarnings(deps, lease, dryRun);
    await run.update({ warnedCount: warned });

    const { possiblyBefore } = passiveBounds(now, months);
    let lastId = 0;
    for (let batch = 1; ; batch += 1) {
      const step = await db.sequelize.transaction(async (transaction) => {
        // SQLite checkpoints the write-ahead log when a commit leaves it over 1,000 pages
        // (4 MB), and a batch writes several times that: a checkpoint, with its fsyncs, on
        // every commit. This batch's connection (Sequelize opens one per transaction)
        // lets the log grow to 10,000 pages first, so a page rewritten by several batches
        // is copied back once; the run ends with a full checkpoint (db.checkpoint below).
        if (db.dialect === 'sqlite' && !dryRun) await db.sequelize.query('PRAGMA wal_autocheckpoint = 10000', { transaction });
        const page = await User.findAll({
          attributes: ['id', 'lastLoginAt', 'email'],
          where: { role: { [Op.ne]: 'admin' }, lastLoginAt: { [Op.lt]: possiblyBefore }, id: { [Op.gt]: lastId } },
          order: [['id', 'ASC']],
          limit: batchSize,
          transaction,
          // On PostgreSQL the rows stay locked until commit, so a sign-in that moves
          // lastLoginAt cannot slip in between the check and the delete. SQLite's
          // BEGIN IMMEDIATE already serialises writers.
          lock: db.dialect === 'postgres' ? Transaction.LOCK.UPDATE : undefined,
        });
        if (page.length === 0) return null;
        const passive = page.filter((u) => isPassive(u.lastLoginAt, now, months));
        const ids = passive.map((u) => u.id);
        const count = dryRun || ids.length === 0 ? ids.length : await deleteAccounts(ids, { transaction, config });
        // The lease and the run's progress are written in the batch's own transaction:
        // one commit per batch instead of three, and a batch never commits after the
        // lock was lost.
        if (!(await lease.renew(transaction))) throw new Error('lost the purge lock during the run');
        if (count > 0) await run!.update({ deletedCount: deleted + count }, { transaction });
        if (!dryRun) await deps.hooks?.beforeCommit?.(batch, ids);
        return { lastId: page[page.length - 1].id, count, emails: passive.map((u) => u.email) };
      });
      if (!step) break;
      // The development outbox keeps no mail of a deleted account (after the commit).
      if (!dryRun && step.count > 0 && !config.smtpUrl) deleteOutboxMailsTo(config.outboxDir, step.emails);
      lastId = step.lastId;
      deleted += step.count;
      if (step.count > 0) {
        logger.info({ runId: run.id, batch, count: step.count, dryRun }, dryRun ? 'purge batch counted' : 'purge batch deleted');
      }
      await deps.hooks?.afterBatch?.(batch);
      if (deps.signal?.aborted) throw new Error('stopped by shutdown after a committed batch');
    }

    if (deleted > 0 && !dryRun) await db.checkpoint();
    await run.update({ finishedAt: clock(), outcome: PURGE_OUTCOME.OK, deletedCount: deleted, warnedCount: warned, error: null });
    logger.info({ runId: run.id, deleted, warned, dryRun }, 'purge finished');
    return { runId: run.id, outcome: PURGE_OUTCOME.OK, dryRun, asOf: now, deleted, warned, error: null };
  } catch (err) {
    const error = describeError(err);
    // The message goes to purge_runs redacted (describeError); the log gets the kind and the
    // stack frames only, as the web error handler does.
    const stack = ((err as Error)?.stack ?? '').split('\n').slice(1).join('\n');
    logger.error({ runId: run?.id, deleted, err: { name: (err as Error)?.name, stack }, error }, 'purge failed');
    // Whatever was committed stays deleted: make the WAL forget it too.
    if (deleted > 0 && !dryRun) await db.checkpoint().catch(() => undefined);
    if (!run) throw err;
    await run.update({ finishedAt: clock(), outcome: PURGE_OUTCOME.FAILED, deletedCount: deleted, warnedCount: warned, error });
    return { runId: run.id, outcome: PURGE_OUTCOME.FAILED, dryRun, asOf: now, deleted, warned, error };
  } finally {
    await lease.release();
  }
}

/**
 * E-mails every tenant whose deadline is at most warningDays away (and not yet passed),
 * once per deadline: users.purge_warning_for records the deadline the e-mail was sent
 * for, and signing in clears it (accounts.recordLogin), so a new deadline gets a new
 * e-mail. The row is claimed with a conditional UPDATE and the mail queued in the same
 * transaction (server/mail/queue.ts retries a mail server that is down), so a warning is
 * recorded exactly when its mail is queued.
 *
 * Sent even when the tenant turned all e-mail off (emails_enabled = false): this is the
 * legally required notice that their personal data is about to be erased, not a
 * notification they opted out of.
 */
async function queueWarnings(deps: PurgeDeps, lease: Lease, dryRun: boolean): Promise<number> {
  const { now, logger, config, db } = deps;
  const clock = deps.clock ?? (() => new Date());
  const { retentionMonths: months, warningDays, batchSize } = config.purge;
  const { from, before } = warningBounds(now, months, warningDays);
  let sent = 0;
  let lastId = 0;
  for (;;) {
    const page = await User.findAll({
      attributes: ['id', 'username', 'email', 'locale', 'lastLoginAt', 'purgeWarningFor'],
      where: { role: { [Op.ne]: 'admin' }, lastLoginAt: { [Op.gte]: from, [Op.lt]: before }, id: { [Op.gt]: lastId } },
      order: [['id', 'ASC']],
      limit: batchSize,
    });
    if (page.length === 0) break;
    lastId = page[page.length - 1].id;
    for (const user of page) {
      if (!isWarningDue(user.lastLoginAt, now, months, warningDays)) continue;
      const deadline = purgeDeadline(user.lastLoginAt, months);
      if (user.purgeWarningFor?.getTime() === deadline.getTime()) continue;
      if (dryRun) {
        sent += 1;
        continue;
      }
      const mail = await renderMail(
        'purge-warning',
        user.email,
        user.locale,
        {
          username: user.username,
          deadline,
          months,
          link: `${config.baseUrl}/login`,
        },
        config.org.name,
      );
      const queued = await db.sequelize.transaction(async (transaction) => {
        const [claimed] = await User.update(
          { purgeWarningFor: deadline },
          { where: { id: user.id, lastLoginAt: user.lastLoginAt, purgeWarningFor: user.purgeWarningFor }, transaction },
        );
        if (claimed !== 1) return false; // signed in meanwhile
        await enqueueMail(mail, { userId: user.id, purpose: 'purge-warning', now: clock(), transaction });
        return true;
      });
      if (!queued) continue;
      sent += 1;
      logger.info({ userId: user.id, mail: 'purge-warning' }, 'mail queued');
    }
    if (!(await lease.renew())) throw new Error('lost the purge lock during the run');
  }
  return sent;
}
