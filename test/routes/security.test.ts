import { expect } from 'chai';
import request from 'supertest';
import { Session } from '../../models/session';
import { createApp } from '../../server/app';
import { context, testConfig } from '../helpers/context';
import { createUser, DEFAULT_PASSWORD } from '../helpers/factories';
import { agent, csrfFrom, csrfToken, signIn } from '../helpers/http';

describe('security baseline', () => {
  it('answers GET /healthz with {"status":"ok"}', async () => {
    const res = await agent().get('/healthz');
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ status: 'ok' });
  });

  it('sends a strict Content-Security-Policy and the privacy headers on every page', async () => {
    const res = await agent().get('/');
    const csp = res.headers['content-security-policy'];
    expect(csp).to.contain("default-src 'self'");
    expect(csp).to.contain("frame-ancestors 'none'");
    expect(csp).to.contain("script-src 'self'");
    expect(csp).to.not.contain('unsafe-inline');
    expect(csp).to.not.contain('unsafe-eval');
    expect(res.headers['referrer-policy']).to.equal('no-referrer');
    expect(res.headers['x-content-type-options']).to.equal('nosniff');
    expect(res.headers['x-powered-by']).to.equal(undefined);
  });

  it('has no inline script and loads nothing from another origin', async () => {
    for (const path of ['/', '/login', '/register', '/forgot-password', '/privacy']) {
      const res = await agent().get(path);
      expect(res.text, path).to.not.match(/<script(?![^>]*\bsrc="\/)/);
      expect(res.text, path).to.not.match(/(src|href)="(https?:)?\/\/(?!board\.test)/);
      expect(res.text, path).to.not.match(/\sstyle="/);
    }
  });

  it('lets search engines index only the landing page and the privacy notice', async () => {
    expect((await agent().get('/')).headers['x-robots-tag']).to.equal(undefined);
    expect((await agent().get('/privacy')).headers['x-robots-tag']).to.equal(undefined);
    for (const path of ['/login', '/register', '/forgot-password', '/no-such-page']) {
      const res = await agent().get(path);
      expect(res.headers['x-robots-tag'], path).to.contain('noindex');
      expect(res.text, path).to.contain('<meta name="robots" content="noindex, nofollow">');
    }
  });

  it('sets an HttpOnly, SameSite=Lax session cookie without Secure on plain http', async () => {
    const res = await agent().get('/login');
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).to.match(/^bb\.sid=/);
    expect(cookie).to.contain('HttpOnly');
    expect(cookie).to.contain('SameSite=Lax');
    expect(cookie).to.not.contain('Secure');
  });

  it('marks the cookie Secure when the request came over HTTPS through a trusted proxy', async () => {
    const ctx = context();
    const config = testConfig(ctx.tmpDir, { TRUST_PROXY: '1' });
    const board = createApp({ ...ctx.deps, config });
    try {
      const res = await request(board.app).get('/login').set('X-Forwarded-Proto', 'https');
      expect(String(res.headers['set-cookie'])).to.contain('Secure');
    } finally {
      board.close();
    }
  });

  it('marks the cookie Secure behind a TLS proxy with an https:// BASE_URL, even without TRUST_PROXY', async () => {
    const ctx = context();
    const config = testConfig(ctx.tmpDir, { BASE_URL: 'https://board.example.fi' });
    const board = createApp({ ...ctx.deps, config });
    try {
      const res = await request(board.app).get('/login');
      expect(String(res.headers['set-cookie'])).to.match(/bb\.sid=.*; Secure/);
    } finally {
      board.close();
    }
  });

  it('signs in over plain HTTP with a plain-http BASE_URL and TRUST_PROXY=1 (the operator allows plain HTTP)', async () => {
    const ctx = context();
    const user = await createUser();
    const config = testConfig(ctx.tmpDir, { BASE_URL: 'http://127.0.0.1:3999', TRUST_PROXY: '1', NODE_ENV: 'production' });
    const board = createApp({ ...ctx.deps, config });
    try {
      const a = request.agent(board.app);
      const page = await a.get('/login');
      expect(String(page.headers['set-cookie'])).to.not.contain('Secure');
      const res = await a
        .post('/login')
        .type('form')
        .send({ username: user.username, password: DEFAULT_PASSWORD, _csrf: csrfFrom(page.text) });
      expect(res.status).to.equal(303);
      expect((await a.get('/account')).status).to.equal(200);
    } finally {
      board.close();
    }
  });

  it('sends Cache-Control: no-store on signed-in pages', async () => {
    const a = await signIn(await createUser());
    const res = await a.get('/account');
    expect(res.headers['cache-control']).to.equal('no-store');
  });

  it('answers an unknown page with a 404 page in the visitor language', async () => {
    const res = await agent().get('/no-such-page').set('Accept-Language', 'fi-FI,fi;q=0.9');
    expect(res.status).to.equal(404);
    expect(res.text).to.contain('Sivua ei löytynyt');
    expect(res.text).to.contain('<html lang="fi">');
  });

  it('answers a POST with a wrong CSRF token with 403', async () => {
    const a = agent();
    await csrfToken(a, '/login');
    const res = await a.post('/login').type('form').send({ _csrf: 'forged', username: 'x', password: 'y' });
    expect(res.status).to.equal(403);
    expect(res.text).to.contain('Formuläret har gått ut');
  });

  it('puts different CSRF bytes in every page of a session (pages are compressed), and accepts each', async () => {
    const user = await createUser();
    const a = agent();
    const first = await csrfToken(a, '/login');
    const second = await csrfToken(a, '/login');
    expect(first).to.not.equal(second);
    // The older page's token still works: it is the same session token under another pad.
    const res = await a.post('/login').type('form').send({ _csrf: first, username: user.username, password: DEFAULT_PASSWORD });
    expect(res.status).to.equal(303);
    // A token whose pad was tampered with is refused.
    const other = await csrfToken(a, '/account');
    const bytes = Buffer.from(other, 'base64url');
    bytes[0] ^= 1;
    const forged = await a
      .post('/logout')
      .type('form')
      .send({ _csrf: bytes.toString('base64url') });
    expect(forged.status).to.equal(403);
  });

  it('answers a body over the size limit with 413, not 500', async () => {
    const a = agent();
    const token = await csrfToken(a, '/register');
    const res = await a
      .post('/register')
      .type('form')
      .send({ _csrf: token, username: 'x'.repeat(300_000) });
    expect(res.status).to.equal(413);
  });
});

describe('sessions', () => {
  it('are kept in the database, so another app instance on the same database knows the user', async () => {
    const user = await createUser();
    const a = await signIn(user);
    const second = createApp(context().deps);
    try {
      const cookie = (await a.get('/account')).request.cookies;
      const res = await request(second.app).get('/account').set('Cookie', cookie);
      expect(res.status).to.equal(200);
      expect(res.text).to.contain(user.username);
    } finally {
      second.close();
    }
  });

  it('are refused once idle past the timeout, even before the store sweeps them', async () => {
    const user = await createUser();
    const a = await signIn(user);
    expect((await a.get('/account')).status).to.equal(200);
    await Session.update({ expires: new Date(Date.now() - 1000) }, { where: { userId: user.id } });
    const res = await a.get('/account');
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.match(/^\/login/);
  });

  it('end after the absolute lifetime even when used all the time', async () => {
    const user = await createUser();
    const a = await signIn(user);
    const { clock, config } = context();
    clock.advance(config.session.absoluteMs - 60_000);
    expect((await a.get('/account')).status).to.equal(200);
    clock.advance(120_000);
    const res = await a.get('/account');
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.contain('expired=1');
    expect(await Session.count({ where: { userId: user.id } })).to.equal(0);
  });

  it('push the idle deadline forward on every request', async () => {
    const user = await createUser();
    const a = await signIn(user);
    const first = (await Session.findOne({ where: { userId: user.id } }))!.expires!.getTime();
    await new Promise((r) => setTimeout(r, 1100));
    await a.get('/account');
    const second = (await Session.findOne({ where: { userId: user.id } }))!.expires!.getTime();
    expect(second).to.be.greaterThan(first);
    expect(second - Date.now()).to.be.closeTo(context().config.session.idleMs, 5000);
  });

  it('store nothing but the user id for a signed-in tenant', async () => {
    const user = await createUser({ email: 'private@example.fi', phone: '+358401234567' });
    await signIn(user);
    const row = await Session.findOne({ where: { userId: user.id } });
    const data = JSON.parse(row!.data!);
    expect(data.passport).to.deep.equal({ user: user.id });
    expect(row!.data).to.not.contain('private@example.fi');
    expect(row!.data).to.not.contain(user.username);
  });
});

describe('GET /accessibility', () => {
  it('publishes the accessibility statement in all three languages with the feedback contact', async () => {
    for (const [lang, title] of [
      ['sv', 'Tillgänglighetsutlåtande'],
      ['fi', 'Saavutettavuusseloste'],
      ['en', 'Accessibility statement'],
    ]) {
      const a = agent();
      await a.get(`/language?lang=${lang}&return=/`);
      const res = await a.get('/accessibility');
      expect(res.status).to.equal(200);
      expect(res.text).to.contain(`<h1>${title}</h1>`);
      expect(res.text).to.contain(`<html lang="${lang}">`);
      expect(res.text).to.contain(context().config.org.accessibilityContact);
    }
  });
});
