import { expect } from 'chai';
import { User } from '../../models/user';
import { context } from '../helpers/context';
import { agent, linkIn, signIn, submit } from '../helpers/http';

describe('logs', () => {
  it('identify users by id only through registration, verification, sign-in, failed sign-in and password reset', async () => {
    const ctx = context();
    const secret = {
      username: 'loggy_lotta',
      email: 'lotta.private@example.fi',
      phone: '+358409998877',
      password: 'my secret walk in the woods',
    };
    const a = agent();
    await submit(a, '/register', { ...secret, password_confirm: secret.password }, '/register');
    const verifyLink = linkIn(ctx.mailer.last(secret.email)!.text, '/verify-email');
    await a.get(verifyLink);
    await signIn(secret.username, secret.password, a);
    await submit(a, '/logout', {}, '/account');
    await submit(agent(), '/login', { username: secret.username, password: 'a wrong password guess' });
    await submit(agent(), '/login', { username: secret.email, password: secret.password });
    await submit(agent(), '/forgot-password', { email: secret.email }, '/forgot-password');
    const resetLink = linkIn(ctx.mailer.last(secret.email)!.text, '/reset-password');
    const b = agent();
    const form = await b.get(resetLink);
    const token = /name="_csrf" value="([^"]+)"/.exec(form.text)![1];
    await b
      .post(resetLink)
      .type('form')
      .send({ _csrf: token, password: 'another secret walk home', password_confirm: 'another secret walk home' });

    const user = await User.findOne({ where: { usernameLower: 'loggy_lotta' } });
    const log = ctx.logs.text();
    expect(log).to.contain(`"userId":${user!.id}`);
    expect(log).to.contain('signed in');
    expect(log).to.contain('sign-in failed');
    expect(log).to.contain('password reset');
    const tokens = [verifyLink, resetLink].map((l) => new URL('http://x' + l).searchParams.get('token')!);
    const sessionIds = [a, b].flatMap((ag) =>
      (ag as unknown as { jar: { getCookies(o: object): { value: string }[] } }).jar
        .getCookies({ domain: '127.0.0.1', path: '/', secure: false, script: false })
        .map((c) => decodeURIComponent(c.value).slice(2).split('.')[0]),
    );
    expect(sessionIds.filter((s) => s.length > 10)).to.have.length.greaterThan(0);
    for (const needle of [
      secret.username,
      secret.email,
      secret.phone,
      '+358 40',
      secret.password,
      'another secret walk home',
      'a wrong password guess',
      ...tokens,
      ...sessionIds,
    ]) {
      if (!needle) continue;
      expect(log, `log contains ${needle}`).to.not.contain(needle);
    }
  });
});
