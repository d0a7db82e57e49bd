import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Op, Transaction, fn, col } from 'sequelize';
import { MAIL_STATE, QueuedMail, type MailState } from '../../models/queued-mail';
import type { Logger } from '../logger';
import type { Mailer, OutgoingMail } from './mailer';

// The mail queue (outbox pattern). A service never talks to the mail server: it writes the
// rendered mail into mail_queue inside the transaction of the action that causes it
// (registration, reset, e-mail change, message notice, purge warning …), so the action and
// its mail commit together or not at all, and a slow or absent mail server can neither
// fail nor slow a request. A worker inside the server (startMailWorker, started by
// server/index.ts) delivers due rows through the configured transport: SMTP with
// SMTP_URL, else .eml files in the outbox folder.
//
// - Rows are claimed with one conditional UPDATE (a claim token and a claim deadline), so
//   several processes on one database never send a row twice. A worker that dies holding a
//   claim leaves it to be taken again when the deadline passes (that mail may go out twice:
//   the only duplicate the queue allows, and only after a crash mid-send).
// - A sent mail's row is deleted at once: no copy of a sent mail is kept.
// - A failed attempt is retried after 1 min, 5 min, 30 min, then every 2 h; a mail the
//   server refused for good (SMTP 5xx) or still not delivered 24 h after it was queued is
//   given up: the row keeps its purpose, account id, attempts and error kind (counted on
//   /admin and by `npm run mail -- --status`) but no address, subject or body; it is
//   deleted after 30 days, or with the account.
// - Logs name a mail by row id, account id and purpose only.

export const RETRY_DELAYS_MS = [60_000, 5 * 60_000, 30 * 60_000, 2 * 3600_000] as const;
export const GIVE_UP_AFTER_MS = 24 * 3600_000;
/** How long a claim lasts; a worker that died is taken over after this. */
export const CLAIM_MS = 5 * 60_000;
/** How long one send may take before it counts as failed (a hanging transport). */
export const SEND_TIMEOUT_MS = 60_000;
/** Failure records (no personal data) are kept this long for the counts. */
export const FAILED_KEPT_MS = 30 * 24 * 3600_000;

const events = new EventEmitter();
events.setMaxListeners(100);

/** Called after a transaction that queued mail commits, so a worker in this process wakes at once. */
export function onMailQueued(listener: () => void): () => void {
  events.on('queued', listener);
  return () => events.off('queued', listener);
}

export interface EnqueueOptions {
  /** The account the mail is about (erasure and the purge delete its queued mail). */
  userId: number;
  /** What kind of mail (the template's name), for counts and logs. */
  purpose: string;
  now: Date;
  /** The caller's transaction: the mail is queued only if the action commits. */
  transaction?: Transaction;
}

/** The queue row for one rendered mail, due at once. */
function queuedRow(mail: OutgoingMail, userId: number, opts: Omit<EnqueueOptions, 'userId'>) {
  return {
    userId,
    purpose: opts.purpose,
    recipient: mail.to,
    subject: mail.subject,
    textBody: mail.text,
    htmlBody: null,
    headers: mail.headers ? JSON.stringify(mail.headers) : null,
    fromName: mail.fromName ?? null,
    nextAttemptAt: opts.now,
    createdAt: opts.now,
  };
}

/** Wakes the worker once the rows are visible: after the caller's commit, or now. */
function nudgeWorker(transaction?: Transaction): void {
  const nudge = () => {
    events.emit('queued');
  };
  if (transaction) transaction.afterCommit(nudge);
  else nudge();
}

/** Writes a rendered mail into the queue; never touches the network. */
export async function enqueueMail(mail: OutgoingMail, opts: EnqueueOptions): Promise<void> {
  await QueuedMail.create(queuedRow(mail, opts.userId, opts), { transaction: opts.transaction });
  nudgeWorker(opts.transaction);
}

/** Writes many rendered mails into the queue in one statement (the daily alert job); never touches the network. */
export async function enqueueMails(
  mails: readonly { mail: OutgoingMail; userId: number }[],
  opts: Omit<EnqueueOptions, 'userId'>,
): Promise<void> {
  if (mails.length === 0) return;
  await QueuedMail.bulkCreate(
    mails.map(({ mail, userId }) => queuedRow(mail, userId, opts)),
    { transaction: opts.transaction },
  );
  nudgeWorker(opts.transaction);
}

export interface DeliverOptions {
  now: Date;
  mailer: Mailer;
  logger: Logger;
  /** Rows claimed per pass. */
  limit?: number;
  /** Mails sent at the same time within a pass. */
  concurrency?: number;
  sendTimeoutMs?: number;
}

export interface DeliverResult {
  claimed: number;
  sent: number;
  /** Failed this time, to be tried again later. */
  retried: number;
  /** Given up on. */
  failed: number;
}

/** The rows a worker may take: queued and due, or claimed by a worker whose claim ran out. */
function dueWhere(now: Date) {
  return {
    [Op.or]: [
      { state: MAIL_STATE.QUEUED, nextAttemptAt: { [Op.lte]: now } },
      { state: MAIL_STATE.SENDING, claimedUntil: { [Op.lt]: now } },
    ],
  };
}

async function claim(now: Date, limit: number): Promise<{ token: string; rows: QueuedMail[] }> {
  const sequelize = QueuedMail.sequelize!;
  const token = crypto.randomBytes(12).toString('hex');
  const values = {
    state: MAIL_STATE.SENDING as MailState,
    claimedBy: token,
    claimedUntil: new Date(now.getTime() + CLAIM_MS),
    attempts: sequelize.literal('attempts + 1') as unknown as number,
  };
  const pick = (transaction?: Transaction) =>
    QueuedMail.findAll({
      attributes: ['id'],
      where: dueWhere(now),
      order: [
        ['nextAttemptAt', 'ASC'],
        ['id', 'ASC'],
      ],
      limit,
      raw: true,
      transaction,
      // PostgreSQL: other workers skip the rows this one is taking instead of waiting for them.
      ...(transaction ? { lock: Transaction.LOCK.UPDATE, skipLocked: true } : {}),
    });
  // The UPDATE repeats the "due" condition: of two workers that picked the same ids, only
  // the first one's UPDATE matches them (on SQLite a statement is atomic; on PostgreSQL a
  // row updated meanwhile is re-checked against the condition).
  const take = async (ids: number[], transaction?: Transaction) => {
    if (ids.length === 0) return;
    await QueuedMail.update(values, { where: { id: { [Op.in]: ids }, ...dueWhere(now) }, transaction });
  };
  if (sequelize.getDialect() === 'postgres') {
    await sequelize.transaction(async (transaction) =>
      take(
        (await pick(transaction)).map((r) => r.id),
        transaction,
      ),
    );
  } else {
    await take((await pick()).map((r) => r.id));
  }
  const rows = await QueuedMail.findAll({ where: { claimedBy: token, state: MAIL_STATE.SENDING }, order: [['id', 'ASC']] });
  return { token, rows };
}

/** The kind of an error, never its message (an SMTP reply may quote the address). */
function errorKind(err: unknown): { kind: string; permanent: boolean } {
  const e = err as { code?: string; name?: string; responseCode?: number };
  const code = typeof e?.responseCode === 'number' ? e.responseCode : undefined;
  const kind = `${e?.code ?? e?.name ?? 'Error'}${code ? ` ${code}` : ''}`.slice(0, 200);
  return { kind, permanent: code !== undefined && code >= 500 && code < 600 };
}

/** When to try again after the given number of attempts, or null to give up. */
export function nextAttempt(createdAt: Date, attempts: number, now: Date): Date | null {
  const deadline = createdAt.getTime() + GIVE_UP_AFTER_MS;
  if (now.getTime() >= deadline) return null;
  const delay = RETRY_DELAYS_MS[Math.min(attempts, RETRY_DELAYS_MS.length) - 1] ?? RETRY_DELAYS_MS[0];
  return new Date(Math.min(now.getTime() + delay, deadline));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('send timed out'), { code: 'ETIMEDOUT' })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * One pass of the worker: claims up to `limit` due mails, sends them, deletes each sent
 * row and reschedules or gives up the others. A plain function: the worker loop, the CLI,
 * the benchmark and the tests call it.
 */
export async function deliverDue(opts: DeliverOptions): Promise<DeliverResult> {
  const { now, mailer, logger } = opts;
  const limit = opts.limit ?? 100;
  const concurrency = Math.max(1, opts.concurrency ?? 8);
  const result: DeliverResult = { claimed: 0, sent: 0, retried: 0, failed: 0 };
  const { token, rows } = await claim(now, limit);
  result.claimed = rows.length;

  const deliverOne = async (row: QueuedMail) => {
    try {
      await withTimeout(
        mailer.send({
          to: row.recipient,
          subject: row.subject,
          text: row.textBody,
          headers: row.headers ? (JSON.parse(row.headers) as Record<string, string>) : undefined,
          fromName: row.fromName ?? undefined,
        }),
        opts.sendTimeoutMs ?? SEND_TIMEOUT_MS,
      );
    } catch (err) {
      const { kind, permanent } = errorKind(err);
      const next = permanent ? null : nextAttempt(row.createdAt, row.attempts, now);
      const mine = { id: row.id, claimedBy: token };
      if (next) {
        await QueuedMail.update(
          { state: MAIL_STATE.QUEUED, nextAttemptAt: next, claimedBy: null, claimedUntil: null, lastError: kind },
          { where: mine },
        );
        result.retried += 1;
        logger.warn(
          { mailId: row.id, userId: row.userId, mail: row.purpose, attempts: row.attempts, error: kind },
          'mail not sent; will retry',
        );
      } else {
        // Given up: keep the fact, not the personal data.
        await QueuedMail.update(
          {
            state: MAIL_STATE.FAILED,
            recipient: '',
            subject: '',
            textBody: '',
            htmlBody: null,
            headers: null,
            fromName: null,
            claimedBy: null,
            claimedUntil: null,
            lastError: kind,
            failedAt: now,
          },
          { where: mine },
        );
        result.failed += 1;
        logger.error(
          { mailId: row.id, userId: row.userId, mail: row.purpose, attempts: row.attempts, error: kind },
          'mail given up',
        );
      }
      return;
    }
    // Sent: no copy is kept. Deleted one by one so a crash repeats at most the mails in flight.
    await QueuedMail.destroy({ where: { id: row.id, claimedBy: token } });
    result.sent += 1;
    logger.info({ mailId: row.id, userId: row.userId, mail: row.purpose }, 'mail sent');
  };

  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, rows.length) }, async () => {
    while (next < rows.length) await deliverOne(rows[next++]);
  });
  await Promise.all(lanes);

  // Looked for before deleting: an empty pass stays read-only (no write lock taken).
  const expired = await QueuedMail.findAll({
    attributes: ['id'],
    where: { state: MAIL_STATE.FAILED, failedAt: { [Op.lt]: new Date(now.getTime() - FAILED_KEPT_MS) } },
    limit: 1000,
    raw: true,
  });
  if (expired.length > 0) await QueuedMail.destroy({ where: { id: { [Op.in]: expired.map((r) => r.id) } } });
  return result;
}

export interface MailQueueStatus {
  queued: number;
  sending: number;
  failed: number;
  /** When the oldest mail still waiting was queued (null: none waiting). */
  oldestQueuedAt: Date | null;
}

/** Counts by state, for /admin and `npm run mail -- --status`. */
export async function mailQueueStatus(): Promise<MailQueueStatus> {
  const rows = (await QueuedMail.findAll({
    attributes: ['state', [fn('COUNT', col('id')), 'n'], [fn('MIN', col('created_at')), 'oldest']],
    where: {},
    group: ['state'],
    raw: true,
  })) as unknown as { state: MailState; n: number | string; oldest: string | Date | null }[];
  const status: MailQueueStatus = { queued: 0, sending: 0, failed: 0, oldestQueuedAt: null };
  for (const row of rows) {
    status[row.state] = Number(row.n);
    if (row.state !== MAIL_STATE.FAILED && row.oldest) {
      const at = new Date(row.oldest);
      if (!status.oldestQueuedAt || at < status.oldestQueuedAt) status.oldestQueuedAt = at;
    }
  }
  return status;
}

export interface MailWorker {
  /** Runs a pass now (after a commit that queued mail, say). */
  wake(): void;
  /** Finishes the pass in progress and stops. */
  stop(): Promise<void>;
}

/**
 * The worker loop inside the server: a pass whenever mail is queued in this process,
 * and every `intervalMs` for retries and mail queued by other processes (CLIs, other
 * instances). Errors (the database away) are logged and the loop carries on.
 */
export function startMailWorker(opts: {
  mailer: Mailer;
  logger: Logger;
  clock: () => Date;
  intervalMs?: number;
  limit?: number;
  concurrency?: number;
}): MailWorker {
  const { mailer, logger, clock } = opts;
  const intervalMs = opts.intervalMs ?? 5_000;
  let stopped = false;
  let running: Promise<void> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | undefined;

  const schedule = (ms: number) => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(wake, ms);
    timer.unref();
  };

  const loop = async () => {
    do {
      again = false;
      try {
        const r = await deliverDue({ now: clock(), mailer, logger, limit: opts.limit, concurrency: opts.concurrency });
        // A full pass means more may be waiting.
        if (r.claimed === (opts.limit ?? 100)) again = true;
      } catch (err) {
        logger.error({ err: { name: (err as Error)?.name, code: (err as { code?: string })?.code } }, 'mail worker pass failed');
      }
    } while (again && !stopped);
  };

  function wake(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = loop().finally(() => {
      running = null;
      schedule(intervalMs);
    });
  }

  const unsubscribe = onMailQueued(wake);
  wake();
  return {
    wake,
    async stop() {
      stopped = true;
      unsubscribe();
      clearTimeout(timer);
      await running;
    },
  };
}
