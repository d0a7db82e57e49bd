import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import type { User } from '../../models/user';
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
  return a.post(path).type('form').send({ ...fields, _csrf: token });
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
