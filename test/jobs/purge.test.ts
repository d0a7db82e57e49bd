import os from 'node:os';
import { expect } from 'chai';
import { AuditLog } from '../../models/audit-log';
import { Block } from '../../models/block';
import { Conversation } from '../../models/conversation';
import { ConversationParticipant } from '../../models/conversation-participant';
import { Favourite } from '../../models/favourite';
import { JobLock } from '../../models/job-lock';
import { Listing } from '../../models/listing';
import { ListingWantedDistrict } from '../../models/listing-wanted-district';
import { Message } from '../../models/message';
import { PurgeRun } from '../../models/purge-run';
import { Report } from '../../models/report';
import { Session } from '../../models/session';
import { Token } from '../../models/token';
import { User } from '../../models/user';
import { acquireLock } from '../../jobs/lock';
import { PURGE_LOCK_NAME } from '../../jobs/purge';
import { deleteAccounts } from '../../server/services/account-deletion';
import { createAccountService } from '../../server/services/accounts';
import { context, deliverQueuedMail } from '../helpers/context';
import {
  createBlock,
  createConversation,
  createFavourite,
  createListing,
  createMessage,
  createSession,
  createToken,
  createUser,
  markRead,
  purge,
  reportListing,
  reportMessage,
  userExists,
} from '../helpers/factories';

function withBatchSize(batchSize: number) {
  const { config } = context();
  return { ...config, purge: { ...config.purge, batchSize } };
}

const at = (iso: string) => new Date(iso);

describe('jobs/purge', () => {
  describe('the rule, from three sides, with the as-of time injected', () => {
    // [last sign-in, deadline]: a plain date, a month end clamped to 28 Feb, and a leap year.
    const CASES: [string, string][] = [
      ['2027-01-15T08:00:00.000Z', '2027-04-15T08:00:00.000Z'],
      ['2026-11-30T12:00:00.000Z', '2027-02-28T12:00:00.000Z'],
      ['2027-11-30T12:00:00.000Z', '2028-02-29T12:00:00.000Z'],
      ['2027-12-31T23:59:59.000Z', '2028-03-31T23:59:59.000Z'],
    ];
    for (const [last, deadline] of CASES) {
      it(`keeps a tenant last seen ${last} one second before and at ${deadline}, and deletes them one second after`, async () => {
        const tenant = await createUser({ lastLoginAt: at(last) });
        const before = await purge(new Date(at(deadline).getTime() - 1000));
        expect(before.deleted).to.equal(0);
        const exactly = await purge(deadline);
        expect(exactly.deleted).to.equal(0);
        expect(await userExists(tenant.id)).to.equal(true);
        const after = await purge(new Date(at(deadline).getTime() + 1000));
        expect(after.deleted).to.equal(1);
        expect(await userExists(tenant.id)).to.equal(false);
      });
    }

    it('decides month ends by the clamped deadline, not by a single SQL cut-off', async () => {
      // 29 Nov 13:00 + 3 months = 28 Feb 13:00; 30 Nov 12:00 + 3 months = 28 Feb 12:00.
      const later = await createUser({ lastLoginAt: at('2026-11-29T13:00:00Z') });
      const earlierDeadline = await createUser({ lastLoginAt: at('2026-11-30T12:00:00Z') });
      const result = await purge('2027-02-28T12:30:00Z');
      expect(result.deleted).to.equal(1);
      expect(await userExists(earlierDeadline.id)).to.equal(false);
      expect(await userExists(later.id)).to.equal(true);
    });

    it('never purges a moderator, however long ago they signed in', async () => {
      const moderator = await createUser({ role: 'admin', lastLoginAt: at('2020-01-01T00:00:00Z') });
      const tenant = await createUser({ lastLoginAt: at('2020-01-01T00:00:00Z') });
      const result = await purge('2027-01-01T00:00:00Z');
      expect(result.deleted).to.equal(1);
      expect(await userExists(moderator.id)).to.equal(true);
      expect(await userExists(tenant.id)).to.equal(false);
    });

    it('purges suspended tenants like any other passive account', async () => {
      const suspended = await createUser({ suspended: 'spam', lastLoginAt: at('2026-01-01T00:00:00Z') });
      await purge('2026-06-01T00:00:00Z');
      expect(await userExists(suspended.id)).to.equal(false);
    });

    it('honours PURGE_RETENTION_MONTHS', async () => {
      const tenant = await createUser({ lastLoginAt: at('2027-01-31T10:00:00Z') });
      const { config } = context();
      const oneMonth = { ...config, purge: { ...config.purge, retentionMonths: 1 } };
      expect((await purge('2027-02-28T10:00:00Z', { config: oneMonth })).deleted).to.equal(0);
      expect((await purge('2027-02-28T10:00:01Z', { config: oneMonth })).deleted).to.equal(1);
      expect(await userExists(tenant.id)).to.equal(false);
    });
  });

  describe('the cascade, row by row', () => {
    it('deletes everything of the account, keeps reports without the reporter and conversations for the other tenant', async () => {
      const LONG_AGO = at('2026-01-10T09:00:00Z');
      const NOW = '2026-06-01T00:00:00Z';
      const gone = await createUser({ username: 'gone_tenant', lastLoginAt: LONG_AGO, phone: '+358401234567' });
      const bea = await createUser({ username: 'bea' });
      const cai = await createUser({ username: 'cai' });
      const goneListing = await createListing(gone, { wantedDistricts: ['kallio', 'vallila'] });
      const beaListing = await createListing(bea);

      await createFavourite(bea, goneListing); // someone else's favourite of the deleted listing
      await createFavourite(gone, beaListing); // the deleted tenant's own favourite
      await createFavourite(cai, beaListing); // unrelated: stays
      await createBlock(gone, bea);
      await createBlock(cai, gone);
      await createBlock(bea, cai); // unrelated: stays
      await createSession(gone);
      await createSession(gone);
      const beaSession = await createSession(bea);
      await createToken(gone, 'verify_email');
      await createToken(gone, 'reset_password');
      await createToken(bea, 'reset_password');

      // About Bea's listing, started by the tenant who goes: Bea has one unread message from them.
      const { conversation: aboutBeas } = await createConversation(beaListing, gone, [], { at: at('2026-01-05T10:00:00Z') });
      await createMessage(aboutBeas, gone, 'first from gone', at('2026-01-05T10:00:00Z'));
      await markRead(aboutBeas, bea, at('2026-01-05T11:00:00Z'));
      await createMessage(aboutBeas, bea, 'reply from bea', at('2026-01-05T12:00:00Z'));
      const lastFromGone = await createMessage(aboutBeas, gone, 'second from gone', at('2026-01-06T10:00:00Z'));
      // About the deleted tenant's listing, started by Cai: Cai has read everything.
      const { conversation: aboutGones } = await createConversation(goneListing, cai, [], { at: at('2026-01-07T10:00:00Z') });
      await createMessage(aboutGones, cai, 'question from cai', at('2026-01-07T10:00:00Z'));
      await createMessage(aboutGones, gone, 'answer from gone', at('2026-01-07T11:00:00Z'));
      await markRead(aboutGones, cai, at('2026-01-07T12:00:00Z'));
      // A conversation whose other participant is already gone: nobody is left after this purge.
      const dan = await createUser({ username: 'dan', lastLoginAt: at('2026-05-30T00:00:00Z') });
      const danListing = await createListing(dan);
      const { conversation: lonely } = await createConversation(danListing, gone, [], { at: at('2026-01-08T10:00:00Z') });
      await createMessage(lonely, dan, 'from dan', at('2026-01-08T10:00:00Z'));
      await createMessage(lonely, gone, 'to dan', at('2026-01-08T11:00:00Z'));
      await context().db.sequelize.transaction((transaction) => deleteAccounts([dan.id], { transaction }));

      const filedByGone = await reportListing(gone, beaListing, { reason: 'fake', details: 'looks wrong' });
      const aboutGoneMessage = await reportMessage(bea, lastFromGone, { reason: 'offensive', details: 'rude' });
      const aboutGoneListing = await reportListing(bea, goneListing, { reason: 'money' });
      await AuditLog.create({
        actorId: bea.id,
        action: 'listing.hide',
        targetType: 'listing',
        targetId: goneListing.id,
        targetLabel: `listing #${goneListing.id}`,
        reason: 'test',
        reportId: null,
      });

      expect(
        (await ConversationParticipant.findOne({ where: { conversationId: aboutBeas.id, userId: bea.id } }))!.unreadCount,
      ).to.equal(1);

      const result = await purge(NOW);
      expect(result.deleted).to.equal(1);

      // The account and everything that was only its own.
      expect(await User.count({ where: { id: gone.id } })).to.equal(0);
      expect(await Listing.count({ where: { id: goneListing.id } })).to.equal(0);
      expect(await ListingWantedDistrict.count({ where: { listingId: goneListing.id } })).to.equal(0);
      expect(await Favourite.count({ where: { listingId: goneListing.id } })).to.equal(0);
      expect(await Favourite.count({ where: { userId: gone.id } })).to.equal(0);
      expect(await Block.count({ where: { blockerId: gone.id } })).to.equal(0);
      expect(await Block.count({ where: { blockedId: gone.id } })).to.equal(0);
      expect(await Session.count({ where: { userId: gone.id } })).to.equal(0);
      expect(await Token.count({ where: { userId: gone.id } })).to.equal(0);
      expect(await Message.count({ where: { senderId: gone.id } })).to.equal(0);
      expect(await ConversationParticipant.count({ where: { userId: gone.id } })).to.equal(0);

      // Other tenants' rows are untouched.
      expect(await Favourite.count({ where: { userId: cai.id, listingId: beaListing.id } })).to.equal(1);
      expect(await Block.count({ where: { blockerId: bea.id, blockedId: cai.id } })).to.equal(1);
      expect(await Session.count({ where: { sid: beaSession.sid } })).to.equal(1);
      expect(await Token.count({ where: { userId: bea.id } })).to.equal(1);
      expect(await Listing.count({ where: { id: beaListing.id } })).to.equal(1);

      // Conversations stay for the other tenant, who sees a removed user; their own words stay.
      const stays = await Conversation.findByPk(aboutBeas.id);
      expect(stays).to.not.equal(null);
      expect(stays!.startedById).to.equal(null);
      expect(stays!.lastSenderId).to.equal(null);
      expect((await Message.findAll({ where: { conversationId: aboutBeas.id } })).map((m) => m.body)).to.deep.equal([
        'reply from bea',
      ]);
      const beaView = await ConversationParticipant.findOne({ where: { conversationId: aboutBeas.id, userId: bea.id } });
      expect(beaView!.unreadCount, 'the unread message from the removed tenant no longer counts').to.equal(0);
      const caiConversation = await Conversation.findByPk(aboutGones.id);
      expect(caiConversation!.listingId, 'the listing it was about is gone').to.equal(null);
      expect((await Message.findAll({ where: { conversationId: aboutGones.id } })).map((m) => m.body)).to.deep.equal([
        'question from cai',
      ]);
      expect(
        (await ConversationParticipant.findOne({ where: { conversationId: aboutGones.id, userId: cai.id } }))!.unreadCount,
      ).to.equal(0);

      // With nobody left, the conversation and its messages are deleted.
      expect(await Conversation.count({ where: { id: lonely.id } })).to.equal(0);
      expect(await Message.count({ where: { conversationId: lonely.id } })).to.equal(0);

      // Reports stay: without the reporter, or without the deleted message or listing.
      const filed = await Report.findByPk(filedByGone.id);
      expect(filed!.reporterId).to.equal(null);
      expect(filed!.details).to.equal('looks wrong');
      expect(filed!.listingId).to.equal(beaListing.id);
      const aboutMessage = await Report.findByPk(aboutGoneMessage.id);
      expect(aboutMessage!.reporterId).to.equal(bea.id);
      expect(aboutMessage!.messageId).to.equal(null);
      expect((await Report.findByPk(aboutGoneListing.id))!.listingId).to.equal(null);

      // Audit rows keep their ids.
      const audit = await AuditLog.findOne({ where: { targetId: goneListing.id } });
      expect(audit!.targetLabel).to.equal(`listing #${goneListing.id}`);
    });
  });

  describe('batches, crashes and reruns', () => {
    it('works in batches and deletes nothing more when run twice', async () => {
      for (let i = 0; i < 5; i += 1) await createUser({ lastLoginAt: at('2026-01-01T00:00:00Z') });
      await createUser({ lastLoginAt: at('2026-05-01T00:00:00Z') });
      const first = await purge('2026-06-01T00:00:00Z', { config: withBatchSize(2) });
      expect(first.deleted).to.equal(5);
      const second = await purge('2026-06-01T00:00:00Z', { config: withBatchSize(2) });
      expect(second.deleted).to.equal(0);
      expect(second.outcome).to.equal('ok');
      expect(await User.count()).to.equal(1);
    });

    it('stops after the batch in progress has committed when the server shuts down, and the next run finishes', async () => {
      for (let i = 0; i < 5; i += 1) await createUser({ lastLoginAt: at('2026-01-01T00:00:00Z') });
      const shutdown = new AbortController();
      const stopped = await purge('2026-06-01T00:00:00Z', {
        config: withBatchSize(2),
        signal: shutdown.signal,
        // SIGTERM arrives while the first batch is being deleted.
        hooks: { beforeCommit: () => shutdown.abort() },
      });
      expect(stopped).to.include({ outcome: 'failed', deleted: 2 });
      expect(stopped.error).to.contain('stopped by shutdown');
      expect(await User.count(), 'the batch in progress committed whole').to.equal(3);
      const next = await purge('2026-06-01T00:00:00Z', { config: withBatchSize(2) });
      expect(next).to.include({ outcome: 'ok', deleted: 3 });
    });

    it('keeps the committed batches when a later batch fails, records the failure, and the next run finishes', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 5; i += 1) ids.push((await createUser({ lastLoginAt: at('2026-01-01T00:00:00Z') })).id);
      const crashed = await purge('2026-06-01T00:00:00Z', {
        config: withBatchSize(2),
        hooks: {
          beforeCommit(batch) {
            if (batch === 2) throw new Error('disk unplugged');
          },
        },
      });
      expect(crashed.outcome).to.equal('failed');
      expect(crashed.deleted).to.equal(2);
      expect(await User.count()).to.equal(3, 'the second batch was rolled back whole');
      const row = await PurgeRun.findByPk(crashed.runId);
      expect(row!.outcome).to.equal('failed');
      expect(row!.error).to.contain('disk unplugged');
      expect(row!.deletedCount).to.equal(2);
      expect(row!.finishedAt).to.be.instanceOf(Date);
      expect(await JobLock.count(), 'the lock is released after a failure').to.equal(0);

      const rerun = await purge('2026-06-01T00:00:00Z', { config: withBatchSize(2) });
      expect(rerun.outcome).to.equal('ok');
      expect(rerun.deleted).to.equal(3);
      expect(await User.count()).to.equal(0);
    });

    it('marks a run left "running" by a process that died as interrupted once its lease has run out', async () => {
      await PurgeRun.create({
        startedAt: at('2026-05-31T00:00:00Z'),
        finishedAt: null,
        asOf: at('2026-05-31T00:00:00Z'),
        dryRun: false,
        outcome: 'running',
        error: null,
      });
      await JobLock.create({ name: PURGE_LOCK_NAME, holder: 'dead-host:1:abc', lockedUntil: new Date(Date.now() - 1000) });
      await createUser({ lastLoginAt: at('2026-01-01T00:00:00Z') });
      const result = await purge('2026-06-01T00:00:00Z');
      expect(result.outcome).to.equal('ok');
      expect(result.deleted).to.equal(1);
      const runs = await PurgeRun.findAll({ order: [['id', 'ASC']] });
      expect(runs.map((r) => r.outcome)).to.deep.equal(['failed', 'ok']);
      expect(runs[0].error).to.contain('interrupted');
    });
  });

  describe('one run at a time', () => {
    it('skips a run that starts while another is in progress, and records that it was skipped', async () => {
      for (let i = 0; i < 4; i += 1) await createUser({ lastLoginAt: at('2026-01-01T00:00:00Z') });
      await createUser({ email: 'due@example.fi', lastLoginAt: at('2026-03-10T00:00:00Z') });
      // The first run pauses in the middle (after its first batch) until the second has finished.
      let inMiddle!: () => void;
      const firstIsInMiddle = new Promise<void>((resolve) => (inMiddle = resolve));
      let secondDone!: () => void;
      const secondHasFinished = new Promise<void>((resolve) => (secondDone = resolve));
      const first = purge('2026-06-01T00:00:00Z', {
        hooks: {
          afterBatch: async () => {
            inMiddle();
            await secondHasFinished;
          },
        },
      });
      await firstIsInMiddle;
      const second = await purge('2026-06-01T00:00:00Z');
      secondDone();
      const firstResult = await first;
      expect(second.outcome).to.equal('skipped');
      expect(second.deleted).to.equal(0);
      expect(firstResult.outcome).to.equal('ok');
      expect(firstResult.deleted).to.equal(4);
      const skipped = await PurgeRun.findByPk(second.runId);
      expect(skipped!.outcome).to.equal('skipped');
      expect(skipped!.error).to.equal('another run holds the lock');
    });

    it('never lets two runs started together overlap', async () => {
      for (let i = 0; i < 4; i += 1) await createUser({ lastLoginAt: at('2026-01-01T00:00:00Z') });
      const results = await Promise.all([
        purge('2026-06-01T00:00:00Z'),
        purge('2026-06-01T00:00:00Z'),
        purge('2026-06-01T00:00:00Z'),
      ]);
      expect(results.reduce((n, r) => n + r.deleted, 0)).to.equal(4);
      const worked = await PurgeRun.findAll({ where: { outcome: 'ok' }, order: [['startedAt', 'ASC']] });
      for (let i = 1; i < worked.length; i += 1) {
        expect(worked[i].startedAt.getTime(), 'a run starts only after the previous one has finished').to.be.at.least(
          worked[i - 1].finishedAt!.getTime(),
        );
      }
      expect(await User.count()).to.equal(0);
    });

    it('skips while another process holds an unexpired lease, and takes over once it has expired', async () => {
      await createUser({ lastLoginAt: at('2026-01-01T00:00:00Z') });
      const other = await acquireLock(PURGE_LOCK_NAME, { ttlMs: 60_000, holder: 'other-server:42:x' });
      expect(other).to.not.equal(null);
      const skipped = await purge('2026-06-01T00:00:00Z');
      expect(skipped.outcome).to.equal('skipped');
      expect(skipped.deleted).to.equal(0);
      expect(await User.count()).to.equal(1);
      // Two minutes later (wall clock) the other holder has neither renewed nor released.
      const later = () => new Date(Date.now() + 120_000);
      const takeover = await purge('2026-06-01T00:00:00Z', { clock: later });
      expect(takeover.outcome).to.equal('ok');
      expect(takeover.deleted).to.equal(1);
      expect(await other!.renew(), 'the old holder learns it lost the lease').to.equal(false);
    });

    it('takes over at once from a holder on this machine whose process has died', async () => {
      const dead = `${os.hostname().slice(0, 40)}:999999999:abc`;
      const alive = `${os.hostname().slice(0, 40)}:${process.ppid}:abc`;
      expect(await acquireLock('stale', { ttlMs: 600_000, holder: alive })).to.not.equal(null);
      expect(await acquireLock('stale', { ttlMs: 600_000 }), 'a live holder keeps its lease').to.equal(null);
      await JobLock.update({ holder: dead }, { where: { name: 'stale' } });
      expect(await acquireLock('stale', { ttlMs: 600_000 }), 'a dead one does not').to.not.equal(null);
    });

    it('gives the lease to exactly one of many contenders', async () => {
      const leases = await Promise.all(Array.from({ length: 6 }, () => acquireLock('race', { ttlMs: 60_000 })));
      expect(leases.filter((l) => l !== null)).to.have.length(1);
      await leases.find((l) => l !== null)!.release();
      expect(await acquireLock('race', { ttlMs: 60_000 })).to.not.equal(null);
    });
  });

  describe('the warning e-mail', () => {
    // Signed in last 30 Nov 2026 12:00 UTC: deadline 28 Feb 2027 12:00 UTC, warning due 14 Feb 12:00.
    const LAST = at('2026-11-30T12:00:00Z');

    it("is sent once, in the tenant's language, with the deletion date and a sign-in link", async () => {
      const tenant = await createUser({ email: 'sanna@example.fi', locale: 'fi', lastLoginAt: LAST });
      expect((await purge('2027-02-14T11:59:59Z')).warned).to.equal(0);
      const due = await purge('2027-02-14T12:00:00Z');
      expect(due.warned).to.equal(1);
      const mails = context().mailer.to('sanna@example.fi');
      expect(mails).to.have.length(1);
      expect(mails[0].subject).to.equal('Tilisi Asunnonvaihtopörssissä poistetaan pian');
      expect(mails[0].text).to.contain('28.2.2027 klo 14.00'); // 12:00 UTC in Helsinki, Finnish format
      expect(mails[0].text).to.contain('http://board.test/login');
      expect((await User.findByPk(tenant.id))!.purgeWarningFor!.toISOString()).to.equal('2027-02-28T12:00:00.000Z');

      await purge('2027-02-15T03:30:00Z');
      await purge('2027-02-28T12:00:00Z');
      expect(context().mailer.to('sanna@example.fi'), 'no second e-mail for the same deadline').to.have.length(1);
      expect(await userExists(tenant.id)).to.equal(true);
    });

    it('is sent again for a new deadline after the tenant signs in', async () => {
      const tenant = await createUser({ email: 'olle@example.fi', lastLoginAt: LAST });
      await purge('2027-02-20T00:00:00Z');
      context().clock.set('2027-02-21T09:00:00Z');
      await createAccountService(context().deps).recordLogin((await User.findByPk(tenant.id))!);
      expect((await User.findByPk(tenant.id))!.purgeWarningFor).to.equal(null);
      await purge('2027-05-10T00:00:00Z'); // new deadline 21 May 2027 09:00
      const mails = context().mailer.to('olle@example.fi');
      expect(mails).to.have.length(2);
      expect(mails[1].text).to.contain('21 maj 2027 12.00'); // Swedish (Finland) format, Helsinki time
    });

    it('goes also to tenants who turned e-mail off (it is the notice of erasure), but never to moderators', async () => {
      await createUser({ email: 'quiet@example.fi', lastLoginAt: LAST }).then((u) => u.update({ emailsEnabled: false }));
      await createUser({ email: 'mod@example.fi', role: 'admin', lastLoginAt: LAST });
      await purge('2027-02-20T00:00:00Z');
      expect(context().mailer.to('quiet@example.fi')).to.have.length(1);
      expect(context().mailer.to('mod@example.fi')).to.have.length(0);
    });

    it('waits in the mail queue while the mail server is down, and goes out once when it is back', async () => {
      const tenant = await createUser({ email: 'flaky@example.fi', lastLoginAt: LAST });
      const mailer = context().mailer;
      const original = mailer.send;
      mailer.send = async () => {
        throw new Error('SMTP down');
      };
      let result;
      try {
        result = await purge('2027-02-20T00:00:00Z');
      } finally {
        mailer.send = original;
      }
      expect(result).to.include({ outcome: 'ok', warned: 1, error: null });
      expect(mailer.to('flaky@example.fi')).to.have.length(0);
      expect((await User.findByPk(tenant.id))!.purgeWarningFor).to.not.equal(null);
      // A later run queues nothing new; the queue's retry (a minute later) delivers the one.
      expect((await purge('2027-02-20T06:00:00Z')).warned).to.equal(0);
      context().clock.advance(61_000);
      await deliverQueuedMail();
      expect(mailer.to('flaky@example.fi')).to.have.length(1);
    });

    it('is sent before the same run deletes the accounts that are already passive', async () => {
      await createUser({ email: 'passive@example.fi', lastLoginAt: at('2026-10-01T00:00:00Z') });
      await createUser({ email: 'soon@example.fi', lastLoginAt: LAST });
      const result = await purge('2027-02-20T00:00:00Z');
      expect(result).to.include({ warned: 1, deleted: 1 });
      expect(context().mailer.to('passive@example.fi'), 'a passive account is deleted, not warned').to.have.length(0);
      expect(context().mailer.to('soon@example.fi')).to.have.length(1);
    });
  });

  describe('dry run and the run log', () => {
    it('counts without deleting or e-mailing', async () => {
      await createUser({ lastLoginAt: at('2026-01-01T00:00:00Z') });
      await createUser({ lastLoginAt: at('2026-01-02T00:00:00Z') });
      await createUser({ email: 'warn@example.fi', lastLoginAt: at('2026-03-10T00:00:00Z') });
      const result = await purge('2026-06-01T00:00:00Z', { dryRun: true });
      expect(result).to.include({ outcome: 'ok', dryRun: true, deleted: 2, warned: 1 });
      expect(await User.count()).to.equal(3);
      expect(context().mailer.sent).to.have.length(0);
      expect(await User.count({ where: { purgeWarningFor: null } })).to.equal(3);
    });

    it('records each run with start, end, as-of time, counts and outcome, and no username', async () => {
      await createUser({ username: 'recorded_tenant', lastLoginAt: at('2026-01-01T00:00:00Z') });
      const result = await purge('2026-06-01T03:30:00Z');
      const row = await PurgeRun.findByPk(result.runId);
      expect(row!.asOf.toISOString()).to.equal('2026-06-01T03:30:00.000Z');
      expect(row!.startedAt).to.be.instanceOf(Date);
      expect(row!.finishedAt!.getTime()).to.be.at.least(row!.startedAt.getTime());
      expect(row!).to.include({ outcome: 'ok', deletedCount: 1, warnedCount: 0, dryRun: false, error: null });
      expect(JSON.stringify(row!.toJSON())).to.not.contain('recorded_tenant');
    });
  });
});
