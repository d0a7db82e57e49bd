import { expect } from 'chai';
import { QueuedMail } from '../../models/queued-mail';
import { User } from '../../models/user';
import type { Mailer, OutgoingMail } from '../../server/mail/mailer';
import { mailCli } from '../../jobs/mail-cli';
import { deliverDue, enqueueMail, mailQueueStatus } from '../../server/mail/queue';
import { eraseOwnAccount } from '../../server/services/account-deletion';
import { context } from '../helpers/context';
import { createUser } from '../helpers/factories';
import { submit, agent } from '../helpers/http';

const MIN = 60_000;
const HOUR = 60 * MIN;

function mail(to: string): OutgoingMail {
  return { to, subject: 'Hej', text: 'Länk: http://board.test/x\n' };
}

/** A transport that fails with the given error while `down` is true. */
class FlakyMailer implements Mailer {
  down = true;
  sent: OutgoingMail[] = [];
  tries = 0;
  constructor(
    private readonly error: Error & { responseCode?: number } = Object.assign(new Error('connect ECONNREFUSED'), {
      code: 'ECONNREFUSED',
    }),
  ) {}
  async send(m: OutgoingMail) {
    this.tries += 1;
    if (this.down) throw this.error;
    this.sent.push(m);
  }
}

describe('the mail queue (server/mail/queue.ts)', () => {
  const deliver = (now: Date, mailer: Mailer, extra: { limit?: number } = {}) =>
    deliverDue({ now, mailer, logger: context().deps.logger, ...extra });

  it('answers a registration at once while the mail server hangs, and sends the mail when it answers again', async () => {
    const hanging: Mailer = { send: () => new Promise(() => undefined) };
    const c = context();
    const original = c.mailer.send;
    // While the request runs, the suite's transport hangs forever.
    c.mailer.send = hanging.send;
    let res;
    const started = Date.now();
    try {
      res = await Promise.race([
        deliverBypass(() =>
          submit(agent(), '/register', {
            username: 'kaisa_k',
            email: 'kaisa@example.fi',
            phone: '',
            password: 'a long and unusual passphrase 7',
            password_confirm: 'a long and unusual passphrase 7',
          }),
        ),
        new Promise<never>((_r, reject) => setTimeout(() => reject(new Error('the request hung')), 8000)),
      ]);
    } finally {
      c.mailer.send = original;
    }
    expect(res.status).to.equal(303);
    expect(Date.now() - started).to.be.below(8000);
    expect(await User.count()).to.equal(1);
    expect(await QueuedMail.count({ where: { purpose: 'verify-email' } })).to.equal(1);
    const r = await deliver(new Date(), c.mailer);
    expect(r.sent).to.equal(1);
    expect(c.mailer.to('kaisa@example.fi')).to.have.length(1);
  });

  it("deletes a sent mail's row: no copy is kept", async () => {
    const user = await createUser({ email: 'gone@example.fi' });
    await enqueueMail(mail('gone@example.fi'), { userId: user.id, purpose: 'test', now: new Date() });
    expect(await QueuedMail.count()).to.equal(1);
    const mailer = new FlakyMailer();
    mailer.down = false;
    expect(await deliver(new Date(), mailer)).to.deep.equal({ claimed: 1, sent: 1, retried: 0, failed: 0 });
    expect(mailer.sent.map((m) => m.to)).to.deep.equal(['gone@example.fi']);
    expect(await QueuedMail.count()).to.equal(0);
  });

  it('retries after 1 min, 5 min, 30 min and 2 h, and gives up 24 h after queueing keeping no address or text', async () => {
    const user = await createUser();
    const t0 = new Date('2027-01-01T00:00:00Z');
    await enqueueMail(mail('retry@example.fi'), { userId: user.id, purpose: 'test', now: t0 });
    const mailer = new FlakyMailer();
    const at = (ms: number) => new Date(t0.getTime() + ms);

    expect((await deliver(at(0), mailer)).retried).to.equal(1);
    const row = () => QueuedMail.findOne();
    expect((await row())!.nextAttemptAt.toISOString()).to.equal(at(MIN).toISOString());
    expect((await deliver(at(MIN - 1000), mailer)).claimed, 'not due yet').to.equal(0);
    await deliver(at(MIN), mailer);
    expect((await row())!.nextAttemptAt.toISOString()).to.equal(at(6 * MIN).toISOString());
    await deliver(at(6 * MIN), mailer);
    expect((await row())!.nextAttemptAt.toISOString()).to.equal(at(36 * MIN).toISOString());
    await deliver(at(36 * MIN), mailer);
    expect((await row())!.nextAttemptAt.toISOString()).to.equal(at(156 * MIN).toISOString());
    // Every 2 h from there on, the last try exactly 24 h after queueing.
    let now = 156 * MIN;
    while (now < 24 * HOUR) {
      await deliver(at(now), mailer);
      const r = await row();
      if (r!.state === 'failed') break;
      now = r!.nextAttemptAt.getTime() - t0.getTime();
      expect(now).to.be.at.most(24 * HOUR);
    }
    const result = await deliver(at(24 * HOUR), mailer);
    expect(result.failed).to.equal(1);
    const failed = (await row())!;
    expect(failed.state).to.equal('failed');
    expect([failed.recipient, failed.subject, failed.textBody]).to.deep.equal(['', '', '']);
    expect(failed.lastError).to.equal('ECONNREFUSED');
    expect((await mailQueueStatus()).failed).to.equal(1);
    expect(context().logs.text()).to.contain('mail given up');
    expect(context().logs.text()).to.not.contain('retry@example.fi');
    // Nothing more is tried.
    const tries = mailer.tries;
    await deliver(at(48 * HOUR), mailer);
    expect(mailer.tries).to.equal(tries);
  });

  it('gives up at once when the mail server refuses the mail for good (5xx)', async () => {
    const user = await createUser();
    await enqueueMail(mail('nobody@example.fi'), { userId: user.id, purpose: 'test', now: new Date() });
    const refused = new FlakyMailer(
      Object.assign(new Error('550 no such user nobody@example.fi'), { code: 'EENVELOPE', responseCode: 550 }),
    );
    expect((await deliver(new Date(), refused)).failed).to.equal(1);
    expect((await QueuedMail.findOne())!.lastError).to.equal('EENVELOPE 550');
  });

  it('never lets two workers send one mail twice', async () => {
    const user = await createUser();
    const now = new Date();
    for (let i = 0; i < 60; i += 1) await enqueueMail(mail(`m${i}@example.fi`), { userId: user.id, purpose: 'test', now });
    const sent: string[] = [];
    const slow: Mailer = {
      send: async (m) => {
        await new Promise((r) => setTimeout(r, 2));
        sent.push(m.to);
      },
    };
    const results = await Promise.all(Array.from({ length: 4 }, () => deliver(now, slow, { limit: 20 })));
    // Whatever the first passes left, later passes finish.
    while ((await deliver(now, slow)).claimed > 0);
    expect(sent).to.have.length(60);
    expect(new Set(sent).size).to.equal(60);
    expect(results.reduce((n, r) => n + r.sent, 0)).to.be.at.most(60);
    expect(await QueuedMail.count()).to.equal(0);
  });

  it('takes over a mail whose worker died mid-send once its claim has run out', async () => {
    const user = await createUser();
    const t0 = new Date('2027-01-01T00:00:00Z');
    await enqueueMail(mail('orphan@example.fi'), { userId: user.id, purpose: 'test', now: t0 });
    await QueuedMail.update(
      { state: 'sending', claimedBy: 'dead-worker', claimedUntil: new Date(t0.getTime() + 5 * MIN) },
      { where: {} },
    );
    const ok = new FlakyMailer();
    ok.down = false;
    expect((await deliver(new Date(t0.getTime() + MIN), ok)).claimed, 'still claimed').to.equal(0);
    expect((await deliver(new Date(t0.getTime() + 6 * MIN), ok)).sent).to.equal(1);
  });

  it('deletes queued mail with the account on erasure', async () => {
    const user = await createUser();
    const other = await createUser();
    await enqueueMail(mail('erased@example.fi'), { userId: user.id, purpose: 'test', now: new Date() });
    await enqueueMail(mail('kept@example.fi'), { userId: other.id, purpose: 'test', now: new Date() });
    expect(await eraseOwnAccount(user, context().config)).to.equal('deleted');
    expect((await QueuedMail.findAll()).map((m) => m.recipient)).to.deep.equal(['kept@example.fi']);
  });

  it('queues nothing when the action rolls back', async () => {
    const user = await createUser();
    await context()
      .db.sequelize.transaction(async (transaction) => {
        await enqueueMail(mail('never@example.fi'), { userId: user.id, purpose: 'test', now: new Date(), transaction });
        throw new Error('the action failed');
      })
      .catch(() => undefined);
    expect(await QueuedMail.count()).to.equal(0);
  });
});

/**
 * Runs a request without the suite's deliver-before-responding (test/helpers/context.ts),
 * the way the server answers: the mail stays queued for the worker.
 */
async function deliverBypass<T>(fn: () => Promise<T>): Promise<T> {
  const c = context();
  c.deliverBeforeResponse = false;
  try {
    return await fn();
  } finally {
    c.deliverBeforeResponse = true;
  }
}

describe('npm run mail -- --status (jobs/mail-cli.ts)', () => {
  it('prints the counts by state and the age of the oldest mail waiting, never an address', async () => {
    const user = await createUser();
    const t0 = new Date('2027-01-01T00:00:00Z');
    for (const to of ['a@example.fi', 'b@example.fi']) await enqueueMail(mail(to), { userId: user.id, purpose: 'test', now: t0 });
    await enqueueMail(mail('c@example.fi'), { userId: user.id, purpose: 'test', now: t0 });
    await QueuedMail.update(
      { state: 'failed', recipient: '', subject: '', textBody: '', failedAt: t0 },
      { where: { recipient: 'c@example.fi' } },
    );
    const lines: string[] = [];
    const code = await mailCli(
      ['--status'],
      (l) => lines.push(l),
      (l) => lines.push(l),
      { db: context().db, now: new Date('2027-01-01T00:42:00Z') },
    );
    expect(code).to.equal(0);
    expect(lines).to.deep.equal(['queued: 2', 'sending: 0', 'failed: 1', 'oldest waiting: 42 min']);
    expect(
      await mailCli(
        [],
        () => undefined,
        () => undefined,
      ),
    ).to.equal(2);
  });
});
