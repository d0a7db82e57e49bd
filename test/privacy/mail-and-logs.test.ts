import { expect } from 'chai';
import type { Response } from 'supertest';
import { User } from '../../models/user';
import { context } from '../helpers/context';
import { createListing, createUser, DEFAULT_PASSWORD, purge } from '../helpers/factories';
import { agent, linkIn, signIn, submit, type Agent } from '../helpers/http';

// docs/product.md#who-sees-what: e-mails to a tenant never carry message text or another tenant's contact data,
// and the logs identify users by number only: no e-mail, phone, password, token, message
// text or session id, across a whole journey through the board.

const PASSWORD = 'a quiet house by the long lake';
const NEW_PASSWORD = 'the ferry leaves at seven sharp';
const WRONG_PASSWORD = 'definitely not the password 42';
const EMAIL = 'anna.journey@example.fi';
const PHONE_TYPED = '+358 40 555 0101';
const PHONE_STORED = '+358405550101';
const MESSAGE = 'Secret message text: the key is under the blue mat';
const REPLY = 'Another secret: call me after nine';

/** Session ids from every Set-Cookie the journey received. */
const sessionIds = new Set<string>();
function remember(res: Response): Response {
  for (const cookie of ([] as string[]).concat(res.headers['set-cookie'] ?? [])) {
    const m = /^bb\.sid=([^;]+)/.exec(cookie);
    if (!m) continue;
    const value = decodeURIComponent(m[1]);
    if (value.startsWith('s:')) sessionIds.add(value.slice(2, value.lastIndexOf('.')));
  }
  return res;
}

async function post(a: Agent, path: string, fields: Record<string, string>, tokenFrom: string) {
  return remember(await submit(a, path, fields, tokenFrom));
}

describe('e-mails and logs keep personal data out', function () {
  this.timeout(60_000);

  it('across register, verify, sign in, reset, message, export, warning and delete', async () => {
    const { mailer, logs } = context();
    const secrets: string[] = [EMAIL, PHONE_TYPED, PHONE_STORED, PASSWORD, NEW_PASSWORD, WRONG_PASSWORD, MESSAGE, REPLY];

    // The other tenant, who wants e-mail notices of new messages.
    const bert = await createUser({
      username: 'bert_journey',
      email: 'bert.journey@example.fi',
      phone: '+358409990000',
      notifyMessages: true,
      showPhone: true,
    });
    secrets.push(bert.email, bert.phone!);
    const bertListing = await createListing(bert, { description: 'Bert lives here' });

    // Register, and follow the verification link.
    const anna = agent();
    let res = await post(
      anna,
      '/register',
      {
        username: 'anna_journey',
        email: EMAIL,
        phone: PHONE_TYPED,
        password: PASSWORD,
        password_confirm: PASSWORD,
      },
      '/register',
    );
    expect(res.status).to.equal(303);
    const verifyLink = linkIn(mailer.last(EMAIL)!.text, '/verify-email');
    secrets.push(new URL(verifyLink, 'http://x').searchParams.get('token')!);
    remember(await anna.get(verifyLink));
    // Registration does not sign in (its answer must not tell a taken address); she signs in.
    await signIn('anna_journey', PASSWORD, anna);

    // Sign out, a wrong password, then the right one.
    res = await post(anna, '/logout', {}, '/account');
    expect(res.status).to.equal(303);
    res = await post(anna, '/login', { username: EMAIL, password: WRONG_PASSWORD }, '/login');
    expect(res.status).to.equal(401);
    res = await post(anna, '/login', { username: 'anna_journey', password: PASSWORD }, '/login');
    expect(res.status).to.equal(303);

    // Forgotten password, from a fresh browser.
    const other = agent();
    await post(other, '/forgot-password', { email: EMAIL }, '/forgot-password');
    const resetLink = linkIn(mailer.last(EMAIL)!.text, '/reset-password');
    secrets.push(new URL(resetLink, 'http://x').searchParams.get('token')!);
    res = await post(other, resetLink, { password: NEW_PASSWORD, password_confirm: NEW_PASSWORD }, resetLink);
    expect(res.status).to.equal(303);
    await signIn('anna_journey', NEW_PASSWORD, anna).then((a) => a);

    // A message to Bert (who gets a notice), and his reply.
    res = await post(anna, `/listings/${bertListing.id}/messages`, { body: MESSAGE }, `/listings/${bertListing.id}`);
    expect(res.status, 'the message is sent').to.equal(303);
    const thread = res.headers.location as string;
    const bertAgent = await signIn(bert, DEFAULT_PASSWORD);
    res = await post(bertAgent, thread, { body: REPLY }, thread);
    expect(res.status).to.equal(303);

    // Export, a wrong password on deletion, then deletion.
    res = remember(await anna.get('/account/export'));
    expect(res.status).to.equal(200);
    res = await post(anna, '/account/delete', { password: WRONG_PASSWORD }, '/account/data');
    expect(res.status).to.equal(422);

    // A purge warning for someone else, sent by the job.
    const cleo = await createUser({
      email: 'cleo.journey@example.fi',
      phone: '+358401231231',
      lastLoginAt: new Date(Date.now() - 80 * 24 * 3600 * 1000),
    });
    secrets.push(cleo.email, cleo.phone!);
    const warned = await purge(new Date());
    expect(warned.warned).to.equal(1);

    res = await post(anna, '/account/delete', { password: NEW_PASSWORD }, '/account/data');
    expect(res.status).to.equal(303);
    expect(await User.count({ where: { email: EMAIL } })).to.equal(0);

    // The e-mails: only the recipient's own address, never a message text or anyone's phone.
    const tenants = [EMAIL, bert.email, cleo.email];
    const phones = [PHONE_TYPED, PHONE_STORED, bert.phone!, cleo.phone!];
    const kinds = new Set<string>();
    expect(mailer.sent.length).to.be.at.least(4);
    for (const mail of mailer.sent) {
      kinds.add(mail.subject);
      const content = `${mail.subject}\n${mail.text}`;
      for (const text of [MESSAGE, REPLY, ...phones]) expect(content, mail.subject).to.not.contain(text);
      for (const address of tenants.filter((t) => t !== mail.to)) expect(content, mail.subject).to.not.contain(address);
    }
    expect(mailer.to(bert.email).length, 'Bert got a notice of the new message').to.equal(1);
    expect(mailer.to(cleo.email).length, 'Cleo got the deletion warning').to.equal(1);

    // The logs: numbers, never the person.
    expect(sessionIds.size).to.be.at.least(2);
    const logText = logs.text();
    expect(logText).to.contain('"userId"');
    for (const secret of [...secrets, ...sessionIds]) {
      expect(logText.includes(secret), `the logs contain ${secret}`).to.equal(false);
    }
    expect(logText).to.not.match(/[\w.+-]+@example\.fi/);
  });
});
