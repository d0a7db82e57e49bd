import { expect } from 'chai';
import { Op } from 'sequelize';
import { Conversation } from '../../models/conversation';
import { ConversationParticipant } from '../../models/conversation-participant';
import { Listing } from '../../models/listing';
import { Message } from '../../models/message';
import { User } from '../../models/user';
import { DEMO_DOMAIN, DEMO_PASSWORD, runSeed, SeedRefused } from '../../jobs/seed';
import { context, testConfig, truncateAll } from '../helpers/context';
import { createUser } from '../helpers/factories';
import { submit, agent } from '../helpers/http';

describe('the demo seeder', () => {
  const seed = (over: Partial<Parameters<typeof runSeed>[0]> = {}) => {
    const { db, config } = context();
    return runSeed(
      { tenants: 60, listings: 30, messages: 200, seed: 7, benchConversations: 10, ...over },
      { db, config, now: new Date('2026-11-28T12:00:00Z') },
    );
  };

  it('loads tenants, listings, conversations and messages with a moderator', async () => {
    const result = await seed();
    expect(result.tenants).to.equal(60);
    expect(await User.count({ where: { role: 'tenant' } })).to.equal(60);
    expect(await User.count({ where: { role: 'admin' } })).to.equal(1);
    expect(await Listing.count()).to.equal(30);
    expect(await Message.count()).to.equal(result.messages);
    expect(result.messages).to.be.greaterThan(100);
    expect(result.moderatorTotpUri).to.match(/^otpauth:\/\/totp\//);
    const bench = await User.findOne({ where: { usernameLower: 'demo_bench' } });
    expect(await ConversationParticipant.count({ where: { userId: bench!.id } })).to.be.at.least(10);
    const users = await User.findAll();
    expect(users.every((u) => u.email.endsWith(`@${DEMO_DOMAIN}`))).to.equal(true);
  });

  it('keeps participants, unread counts and conversations consistent', async () => {
    await seed();
    const conversations = await Conversation.findAll({ include: [{ model: ConversationParticipant, as: 'participants' }] });
    for (const c of conversations) {
      expect(c.participants).to.have.length(2);
      expect(await Message.count({ where: { conversationId: c.id } })).to.be.greaterThan(0);
    }
  });

  it('makes the same data from the same seed', async () => {
    await seed();
    const first = (await Listing.findAll({ order: [['id', 'ASC']], raw: true })).map((l) => [l.district, l.rooms, l.rentEur]);
    await truncateAll(context().db);
    await seed();
    const second = (await Listing.findAll({ order: [['id', 'ASC']], raw: true })).map((l) => [l.district, l.rooms, l.rentEur]);
    expect(second).to.deep.equal(first);
  });

  it('makes some accounts passive, with last sign-ins past the retention period', async () => {
    const result = await seed({ passiveShare: 0.5 });
    expect(result.passive).to.be.greaterThan(10);
    const old = await User.count({ where: { role: 'tenant', lastLoginAt: { [Op.lt]: new Date('2026-08-28T00:00:00Z') } } });
    expect(old).to.equal(result.passive);
  });

  it('refuses a database that holds real tenants unless forced', async () => {
    await createUser({ email: 'real.person@example.fi' });
    let refused: unknown;
    try {
      await seed();
    } catch (err) {
      refused = err;
    }
    expect(refused).to.be.instanceOf(SeedRefused);
    expect(await User.count()).to.equal(1);
    await seed({ force: true });
    expect(await User.count()).to.equal(62);
  });

  it('gives the demo moderator a random password, not one written in the code', async () => {
    const first = await seed({ tenants: 2, listings: 1, messages: 0, benchConversations: 0 });
    await truncateAll(context().db);
    const second = await seed({ tenants: 2, listings: 1, messages: 0, benchConversations: 0 });
    expect(first.moderatorPassword).to.have.length.at.least(15);
    expect(first.moderatorPassword).to.not.equal(second.moderatorPassword);
    expect(first.moderatorPassword).to.not.contain(DEMO_PASSWORD);
    const old = await submit(agent(), '/login', { username: 'demo_moderator', password: `${DEMO_PASSWORD} moderator` });
    expect(old.status).to.equal(401);
    const res = await submit(agent(), '/login', { username: 'demo_moderator', password: second.moderatorPassword });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.match(/^\/login\/totp/);
  });

  it('refuses to run when NODE_ENV=production unless forced', async () => {
    const { db, config } = context();
    const production = testConfig(context().tmpDir, { NODE_ENV: 'production' });
    const opts = { tenants: 2, listings: 1, messages: 0, benchConversations: 0 };
    let refused: unknown;
    try {
      await runSeed(opts, { db, config: production });
    } catch (err) {
      refused = err;
    }
    expect(refused).to.be.instanceOf(SeedRefused);
    expect((refused as Error).message).to.contain('--force');
    expect(await User.count()).to.equal(0);
    await runSeed({ ...opts, force: true }, { db, config: production });
    expect(await User.count()).to.equal(3);
    expect(config.env).to.equal('test');
  });

  it('creates tenants who can sign in with the demo password', async () => {
    await seed({ tenants: 3, listings: 2, messages: 0, benchConversations: 0 });
    const res = await submit(agent(), '/login', { username: 'demo_bench', password: DEMO_PASSWORD });
    expect(res.status).to.equal(303);
  });
});
