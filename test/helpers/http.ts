import { expect } from 'chai';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { User } from '../../models/user';
import { totpCodeAt } from '../../server/services/totp';
import { context } from './context';
import { DEFAULT_PASSWORD } from './factories';

export type Agent = TestAgent;

/** A browser-like client that keeps cookies between requests. */
export function agent(): Agent {
  return request.agent(context().board.app);
}

/** The hidden _csrf value of the first form on a page. */
export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no _csrf field on the page');
  return match[1];
}

/** Loads a page and returns its CSRF token (creating the session if needed). */
export async function csrfToken(a: Agent, path = '/login'): Promise<string> {
  const res = await a.get(path);
  return csrfFrom(res.text);
}

/** Submits a form the way a browser does: urlencoded, with the page's CSRF token. */
export async function submit(a: Agent, path: string, fields: Record<string, string | string[]>, tokenFrom = '/login') {
  const token = await csrfToken(a, tokenFrom);
  return a
    .post(path)
    .type('form')
    .send({ ...fields, _csrf: token });
}

/** Posts a form with a CSRF token taken once from a signed-in page (for loops of many posts). */
export async function postForm(a: Agent, path: string, fields: Record<string, string>, token?: string) {
  const csrf = token ?? (await csrfToken(a, '/messages'));
  return a
    .post(path)
    .type('form')
    .send({ ...fields, _csrf: csrf });
}

/** Signs a tenant in through the real form; returns the agent. */
export async function signIn(user: User | string, password = DEFAULT_PASSWORD, a: Agent = agent()): Promise<Agent> {
  const username = typeof user === 'string' ? user : user.username;
  const res = await submit(a, '/login', { username, password });
  if (res.status !== 303) throw new Error(`sign-in failed with ${res.status}`);
  return a;
}

/** The first link in a text e-mail that starts with the given path. */
export function linkIn(text: string, path: string): string {
  const match = new RegExp(`https?://[^\\s]+${path.replace(/[?]/g, '\\?')}[^\\s]*`).exec(text);
  if (!match) throw new Error(`no ${path} link in the e-mail`);
  const url = new URL(match[0]);
  return url.pathname + url.search;
}

/** The code the moderator's authenticator app shows right now (by the test clock). */
export function currentCode(user: User, offsetMs = 0): Promise<string> {
  return totpCodeAt(user.totpSecret!, new Date(context().clock.now().getTime() + offsetMs));
}

/** A moderator's password step only: returns the agent, waiting at /login/totp. */
export async function passwordStep(user: User, a: Agent = agent(), next?: string): Promise<Agent> {
  const res = await submit(a, '/login', { username: user.username, password: DEFAULT_PASSWORD, ...(next ? { next } : {}) });
  expect(res.status, 'password step').to.equal(303);
  expect(res.headers.location).to.match(/^\/login\/totp/);
  return a;
}

/**
 * Sends a code on the TOTP form with the session's CSRF token, taken from /login (or,
 * for a signed-in session, where /login redirects, from the code form itself).
 */
export async function sendCode(a: Agent, code: string, next = '/') {
  let page = await a.get('/login');
  if (page.status !== 200) page = await a.get('/login/totp');
  return a
    .post('/login/totp')
    .type('form')
    .send({ totp: code, next, _csrf: csrfFrom(page.text) });
}

/**
 * Signs a moderator in through both steps. Each code is single-use, so for a second
 * sign-in in the same 30 seconds the helper forgets the last step used (a shortcut for
 * tests only; the reuse rule has its own tests).
 */
export async function signInModerator(user: User, a: Agent = agent()): Promise<Agent> {
  await User.update({ totpLastStep: null }, { where: { id: user.id } });
  await passwordStep(user, a);
  const res = await sendCode(a, await currentCode(user));
  expect(res.status, 'TOTP step').to.equal(303);
  return a;
}
