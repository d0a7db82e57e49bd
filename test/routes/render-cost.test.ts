import fs from 'node:fs';
import inspector from 'node:inspector';
import { expect } from 'chai';
import { createListing, createUser } from '../helpers/factories';
import { agent, signIn } from '../helpers/http';

// What a page view costs beyond its queries, outside development: templates compiled
// once and their includes resolved once (no file-system call per render), and no Error
// built on the way (each one captures a stack trace).

type Counted = 'existsSync' | 'statSync' | 'lstatSync' | 'readFileSync' | 'readdirSync' | 'stat' | 'lstat' | 'readFile' | 'open';
const COUNTED: Counted[] = [
  'existsSync',
  'statSync',
  'lstatSync',
  'readFileSync',
  'readdirSync',
  'stat',
  'lstat',
  'readFile',
  'open',
];

async function countFsCalls(during: () => Promise<void>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const originals = new Map<Counted, unknown>();
  const mutableFs = fs as unknown as Record<Counted, (...args: unknown[]) => unknown>;
  for (const name of COUNTED) {
    const original = mutableFs[name];
    originals.set(name, original);
    mutableFs[name] = function (this: unknown, ...args: unknown[]) {
      counts[`${name} ${String(args[0])}`] = (counts[`${name} ${String(args[0])}`] ?? 0) + 1;
      return original.apply(this, args);
    };
  }
  try {
    await during();
  } finally {
    for (const name of COUNTED) mutableFs[name] = originals.get(name) as (...args: unknown[]) => unknown;
  }
  return counts;
}

/**
 * Every stack trace captured while `during` runs: Errors thrown, caught or not, and
 * rejected promises (the inspector pauses on each, in this process), Errors made with the
 * global constructors while stack traces are on, and traces captured by hand
 * (http-errors, depd).
 */
async function errorsMade(during: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const session = new inspector.Session();
  session.connect();
  session.on('Debugger.paused', (message) => {
    const data = message.params.data as { description?: string } | undefined;
    seen.push(`${message.params.reason}: ${(data?.description ?? '').split('\n').slice(0, 3).join(' | ')}`);
    session.post('Debugger.resume');
  });
  const post = (method: string, params?: object) =>
    new Promise<void>((resolve, reject) => session.post(method, params, (err) => (err ? reject(err) : resolve())));
  await post('Debugger.enable');
  await post('Debugger.setPauseOnExceptions', { state: 'all' });
  const globals = globalThis as unknown as Record<string, unknown>;
  const constructors = ['Error', 'TypeError', 'RangeError', 'SyntaxError'];
  const saved = constructors.map((name) => globals[name]);
  for (const name of constructors) {
    globals[name] = new Proxy(globals[name] as ErrorConstructor, {
      construct(target, args, newTarget) {
        if (Error.stackTraceLimit > 0) seen.push(`new ${name}: ${String(args[0])}`);
        return Reflect.construct(target, args, newTarget) as object;
      },
      apply(target, thisArg, args) {
        if (Error.stackTraceLimit > 0) seen.push(`${name}(): ${String(args[0])}`);
        return Reflect.apply(target, thisArg, args) as unknown;
      },
    });
  }
  const capture = Error.captureStackTrace;
  Error.captureStackTrace = ((...args: Parameters<typeof capture>) => {
    seen.push(`captureStackTrace: ${String((args[0] as { message?: unknown }).message)}`);
    capture(...args);
  }) as typeof Error.captureStackTrace;
  try {
    await during();
  } finally {
    Error.captureStackTrace = capture;
    constructors.forEach((name, i) => (globals[name] = saved[i]));
    await post('Debugger.setPauseOnExceptions', { state: 'none' });
    await post('Debugger.disable');
    session.disconnect();
  }
  return seen;
}

describe('the cost of rendering a page (outside development)', () => {
  it('reads no template or include from disk once each page has been rendered', async () => {
    const owner = await createUser();
    const listing = await createListing(owner);
    const visitor = agent();
    const tenant = await signIn(owner);
    const pages = async () => {
      for (const url of ['/', '/listings', `/listings/${listing.id}`, '/login', '/no-such-page']) await visitor.get(url);
      for (const url of ['/listings', `/listings/${listing.id}`, '/account', '/messages', '/matches']) await tenant.get(url);
    };
    await pages();
    const counts = await countFsCalls(async () => {
      for (let i = 0; i < 5; i++) await pages();
    });
    expect(counts).to.deep.equal({});
  });

  it('captures no stack trace while visitors and a signed-in tenant view pages', async () => {
    const owner = await createUser();
    const listing = await createListing(owner);
    const visitor = agent();
    const tenant = await signIn(owner);
    const pages = async () => {
      for (const url of ['/', '/listings', `/listings/${listing.id}`, '/login'])
        expect((await visitor.get(url)).status, url).to.equal(200);
      for (const url of ['/listings', `/listings/${listing.id}`, '/account', '/messages', '/matches']) {
        expect((await tenant.get(url)).status, url).to.equal(200);
      }
    };
    await pages();
    const errors = await errorsMade(async () => {
      for (let i = 0; i < 3; i++) await pages();
    });
    expect(errors).to.deep.equal([]);
  });
});
