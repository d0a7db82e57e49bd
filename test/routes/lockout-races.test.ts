import { expect } from 'chai';
import { User } from '../../models/user';
import { context } from '../helpers/context';
import { createModerator, createUser, DEFAULT_PASSWORD } from '../helpers/factories';
import { type Agent, agent, csrfFrom, currentCode, passwordStep, signIn } from '../helpers/http';

// Guesses sent at the same moment: a limit of N must never let more than N of them be
// checked, however many arrive together (each request's guess is counted before it is
// checked, in one atomic step).

/** Agents that each hold a session and a CSRF token from `path`, ready to fire. */
async function armed(count: number, path = '/login'): Promise<{ a: Agent; csrf: string }[]> {
  const out = [];
  for (let i = 0; i < count; i += 1) {
    const a = agent();
    out.push({ a, csrf: csrfFrom((await a.get(path)).text) });
  }
  return out;
}

function tally(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
  return counts;
}

describe('lockouts under parallel guesses', function () {
  this.timeout(60_000);

  it('checks no more than 10 of 30 parallel wrong passwords for one account, then refuses the right one', async () => {
    const user = await createUser();
    const agents = await armed(30);
    const statuses = (
      await Promise.all(
        agents.map(({ a, csrf }, i) =>
          a
            .post('/login')
            .type('form')
            .send({ username: user.username, password: `wrong guess number ${i}`, _csrf: csrf }),
        ),
      )
    ).map((r) => r.status);
    const counts = tally(statuses);
    expect(counts[401] ?? 0, JSON.stringify(counts)).to.be.at.most(context().config.limits.loginFailuresPerAccount);
    expect(counts[429] ?? 0).to.be.at.least(30 - context().config.limits.loginFailuresPerAccount);
    const right = await (await armed(1))[0].a;
    const res = await right
      .post('/login')
      .type('form')
      .send({
        username: user.username,
        password: DEFAULT_PASSWORD,
        _csrf: csrfFrom((await right.get('/login')).text),
      });
    expect(res.status).to.equal(429);
  });

  it('lets the right password in a burst of 29 wrong ones through only if it was among the first 10 counted', async () => {
    const user = await createUser();
    const agents = await armed(30);
    const responses = await Promise.all(
      agents.map(({ a, csrf }, i) =>
        a
          .post('/login')
          .type('form')
          .send({
            username: user.username,
            password: i === 29 ? DEFAULT_PASSWORD : `wrong guess number ${i}`,
            _csrf: csrf,
          }),
      ),
    );
    const counts = tally(responses.map((r) => r.status));
    // Checked = refused as wrong (401) plus signed in (303): never more than the limit.
    expect((counts[401] ?? 0) + (counts[303] ?? 0), JSON.stringify(counts)).to.be.at.most(10);
  });

  it('counts the username and the e-mail address of one account under one key', async () => {
    const user = await createUser({ email: 'one.key@example.fi' });
    const agents = await armed(20);
    const statuses = (
      await Promise.all(
        agents.map(({ a, csrf }, i) =>
          a
            .post('/login')
            .type('form')
            .send({
              username: i % 2 ? user.username : 'ONE.KEY@example.fi',
              password: `wrong guess number ${i}`,
              _csrf: csrf,
            }),
        ),
      )
    ).map((r) => r.status);
    expect(tally(statuses)[401] ?? 0).to.be.at.most(10);
  });

  it('checks no more than the per-IP limit of parallel wrong sign-ins across many usernames', async () => {
    const perIp = context().config.limits.loginFailuresPerIp;
    const agents = await armed(perIp + 10);
    const statuses = (
      await Promise.all(
        agents.map(({ a, csrf }, i) =>
          a
            .post('/login')
            .type('form')
            .send({ username: `nobody_${i}`, password: 'wrong guess for all', _csrf: csrf }),
        ),
      )
    ).map((r) => r.status);
    const counts = tally(statuses);
    expect(counts[401] ?? 0, JSON.stringify(counts)).to.be.at.most(perIp);
    expect(counts[429] ?? 0).to.be.at.least(10);
  });

  it('checks no more than 5 of 30 parallel TOTP codes, the right one included', async () => {
    const mod = await createModerator();
    // Thirty sessions past the password step, as thirty browsers of one attacker would be.
    const sessions = [];
    for (let i = 0; i < 30; i += 1) {
      const a = await passwordStep(mod);
      sessions.push({ a, csrf: csrfFrom((await a.get('/login/totp')).text) });
    }
    const right = await currentCode(mod);
    const wrong = (i: number) => String((Number(right) + 1 + i) % 1_000_000).padStart(6, '0');
    const statuses = (
      await Promise.all(
        sessions.map(({ a, csrf }, i) =>
          a
            .post('/login/totp')
            .type('form')
            .send({ totp: i === 29 ? right : wrong(i), next: '/', _csrf: csrf }),
        ),
      )
    ).map((r) => r.status);
    const counts = tally(statuses);
    expect((counts[422] ?? 0) + (counts[303] ?? 0), JSON.stringify(counts)).to.be.at.most(context().config.limits.totpFailures);
    expect(counts[429] ?? 0).to.be.at.least(25);
  });

  it('counts wrong current passwords on the password form like failed sign-ins, also in parallel', async () => {
    const user = await createUser();
    const a = await signIn(user);
    const csrf = csrfFrom((await a.get('/account')).text);
    const statuses = (
      await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          a
            .post('/account/password')
            .type('form')
            .send({
              current_password: `wrong guess number ${i}`,
              password: 'a brand new long password',
              password_confirm: 'a brand new long password',
              _csrf: csrf,
            }),
        ),
      )
    ).map((r) => r.status);
    const counts = tally(statuses);
    expect(counts[422] ?? 0, JSON.stringify(counts)).to.be.at.most(10);
    expect(counts[429] ?? 0).to.be.at.least(20);
    await user.reload();
    expect(await User.count({ where: { id: user.id } })).to.equal(1);
  });
});
