import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from '../../server/paths';
import { totpCodeAt } from '../../server/services/totp';
import { freePort } from '../../bench/free-port';

const run = promisify(execFile);

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/**
 * Browser tests need Debian's Chromium. Outside CI they are skipped with a note saying
 * how to install it; in CI a missing browser is a failure, never a silent skip. They
 * drive their own server on a fresh SQLite file, so the PostgreSQL run of the suite
 * does not repeat them.
 */
export function browserTestsWanted(ctx: Mocha.Context): boolean {
  if (process.env.TEST_DATABASE_URL) {
    console.log('    (browser tests run once, on their own SQLite server, in the SQLite run of the suite)');
    ctx.skip();
  }
  if (!fs.existsSync(CHROMIUM)) {
    if (process.env.CI)
      throw new Error(`Chromium is missing at ${CHROMIUM}: .ci/run installs it with apt-get install -y chromium`);
    console.log(`    Browser tests skipped: no Chromium at ${CHROMIUM}. Install it with: sudo apt-get install -y chromium`);
    ctx.skip();
  }
  return true;
}

export interface BrowserServer {
  baseUrl: string;
  outboxDir: string;
  screenshotsDir: string;
  browser: Browser;
  /** Every request any page made, to check that nothing went to another origin. */
  requests: string[];
  newContext(opts?: { javaScriptEnabled?: boolean; locale?: string; width?: number }): Promise<BrowserContext>;
  /** Makes a moderator with the server's own CLI; returns what signing in needs. */
  createModerator(username: string, email: string): Promise<Moderator>;
  close(): Promise<void>;
}

export interface Moderator {
  username: string;
  password: string;
  secret: string;
}

export const MODERATOR_PASSWORD = 'a long moderator passphrase for tests';

async function waitForHealth(baseUrl: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${output()}`);
    try {
      const res = await fetch(`${baseUrl}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the server did not answer /healthz within a minute:\n${output()}`);
}

/** Seeds (when asked) and starts the server; resolves when it answers /healthz. */
async function startServerProcess(
  env: NodeJS.ProcessEnv,
  seedArgs?: string[],
): Promise<{ seedOutput: string; child: ChildProcess }> {
  // Demo data from the project's own seeder, before the server opens the file.
  const seedOutput = seedArgs
    ? (
        await run(process.execPath, ['--require', 'tsx/cjs', path.join(ROOT, 'jobs', 'seed-cli.ts'), ...seedArgs], {
          cwd: ROOT,
          env,
        })
      ).stdout
    : '';
  let output = '';
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(ROOT, 'server', 'index.ts')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  if (process.env.BROWSER_SERVER_LOG) child.stdout!.pipe(fs.createWriteStream(process.env.BROWSER_SERVER_LOG));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  try {
    await waitForHealth(`http://127.0.0.1:${env.PORT}`, child, () => output);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return { seedOutput, child };
}

/**
 * Starts the board as its own process — the way `npm start` runs it — on a fresh SQLite
 * file, with the real mailer writing .eml files to an outbox the journeys read like a
 * tenant reads their mail. (A second database inside the test process would rebind the
 * models the rest of the suite uses.)
 */
export async function startBrowserServer(opts: { seedArgs?: string[] } = {}): Promise<BrowserServer & { seedOutput: string }> {
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bostadsbyte-browser-'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const outboxDir = path.join(tmpDir, 'outbox');
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.TEST_DATABASE_URL;
  Object.assign(env, {
    NODE_ENV: 'development',
    PORT: String(port),
    DATABASE_URL: `sqlite:${path.join(tmpDir, 'board.sqlite')}`,
    DATA_DIR: tmpDir,
    MAIL_OUTBOX_DIR: outboxDir,
    BASE_URL: baseUrl,
    // BROWSER_SERVER_LOG=file keeps the server's log (at debug level) for a failing run.
    LOG_LEVEL: process.env.BROWSER_SERVER_LOG ? 'debug' : 'warn',
    PURGE_ENABLED: 'false',
    // The cheapest argon2id the config accepts (see test/helpers/context.ts).
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
    // Every browser comes from 127.0.0.1: the per-IP limits would soon stop the sweep.
    REGISTRATIONS_PER_IP_PER_HOUR: '1000',
    SEARCH_PER_IP_PER_MINUTE: '100000',
    LOGIN_MAX_FAILURES_PER_IP: '1000',
    MAIL_MAX_PER_HOUR: '100',
  });
  // Chromium starts while the seeder and the server do.
  const launching = chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  const started = startServerProcess(env, opts.seedArgs);
  const [browser, { seedOutput, child }] = await Promise.all([launching, started]).catch(async (err: unknown) => {
    // Whichever failed, the other is not left running.
    await launching.then(
      (b) => b.close(),
      () => undefined,
    );
    await started.then(
      (s) => s.child.kill('SIGKILL'),
      () => undefined,
    );
    throw err;
  });
  const requests: string[] = [];
  // The README's pictures are taken on the way; they replace docs/screenshots only when
  // asked (UPDATE_SCREENSHOTS=1), so an ordinary test run leaves the tree as it was.
  const screenshotsDir = process.env.UPDATE_SCREENSHOTS
    ? path.join(ROOT, 'docs', 'screenshots')
    : path.join(os.tmpdir(), 'bostadsbyte-screenshots');
  return {
    baseUrl,
    outboxDir,
    screenshotsDir,
    browser,
    requests,
    seedOutput,
    async newContext(opts = {}) {
      const context = await browser.newContext({
        baseURL: baseUrl,
        javaScriptEnabled: opts.javaScriptEnabled ?? true,
        locale: opts.locale ?? 'sv-FI',
        viewport: { width: opts.width ?? 1280, height: 900 },
      });
      context.on('request', (req) => requests.push(req.url()));
      return context;
    },
    async createModerator(username, email) {
      const { stdout } = await run(
        process.execPath,
        ['--require', 'tsx/cjs', path.join(ROOT, 'jobs', 'admin-cli.ts'), 'create', '--username', username, '--email', email],
        {
          cwd: ROOT,
          env: { ...env, ADMIN_PASSWORD: MODERATOR_PASSWORD },
        },
      );
      const secret = /secret=([A-Z2-7]+)/.exec(stdout)?.[1];
      if (!secret) throw new Error(`no TOTP secret in the CLI output:\n${stdout}`);
      return { username, password: MODERATOR_PASSWORD, secret };
    },
    async close() {
      await browser.close();
      child.kill('SIGTERM');
      await new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
      fs.rmSync(tmpDir, { recursive: true, force: true });
    },
  };
}

/** Requests any page made to somewhere other than the board itself (data: URLs are inline). */
export function foreignRequests(server: Pick<BrowserServer, 'requests' | 'baseUrl'>): string[] {
  const own = new URL(server.baseUrl).origin;
  return [...new Set(server.requests.filter((url) => /^(https?|wss?):/.test(url) && new URL(url).origin !== own))];
}

/** The text of the page's main content (flash messages included), whitespace squeezed. */
export async function mainText(page: Page): Promise<string> {
  return (await page.locator('main').innerText()).replace(/\s+/g, ' ');
}

export const SUBMIT = 'main form button[type=submit]';

/** Clicks a submit button and waits for the page the server answers with. */
export async function submitForm(page: Page, buttonSelector = SUBMIT): Promise<void> {
  await Promise.all([page.waitForEvent('load'), page.click(buttonSelector)]);
}

/** Opens a form, types into its fields (by name) and sends it. */
export async function fillAndSubmit(
  page: Page,
  url: string,
  fields: Record<string, string>,
  buttonSelector = SUBMIT,
): Promise<void> {
  await page.goto(url);
  for (const [name, value] of Object.entries(fields)) await page.fill(`[name=${name}]`, value);
  await submitForm(page, buttonSelector);
}

/**
 * Signs in through the form, as a person would; with a TOTP secret, also through the
 * moderator's second step. Returns the page the board lands on.
 */
export async function signInWithForm(
  context: BrowserContext,
  username: string,
  password: string,
  totpSecret?: string,
): Promise<Page> {
  const page = await context.newPage();
  await fillAndSubmit(page, '/login', { username, password });
  if (totpSecret) {
    expect(new URL(page.url()).pathname, `password step: ${await mainText(page)}`).to.equal('/login/totp');
    await page.fill('[name=totp]', await currentTotp(totpSecret));
    await submitForm(page);
  }
  expect(new URL(page.url()).pathname, `${username} signed in: ${await mainText(page)}`).to.not.match(/^\/login/);
  return page;
}

/** The code a moderator's authenticator app would show now. */
export function currentTotp(secret: string): Promise<string> {
  return totpCodeAt(secret, new Date());
}

/**
 * The newest .eml in the outbox addressed to `to`, decoded to text. Mail is queued with
 * the action and written by the server's mail worker a moment after the response, so
 * this waits up to five seconds for it to appear.
 */
export function lastMailTo(outboxDir: string, to: string): string {
  const until = Date.now() + 5000;
  for (;;) {
    const found = findMailTo(outboxDir, to);
    if (found !== undefined) return found;
    if (Date.now() > until) throw new Error(`no e-mail to ${to} in the outbox`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
}

function findMailTo(outboxDir: string, to: string): string | undefined {
  const files = fs.existsSync(outboxDir)
    ? fs
        .readdirSync(outboxDir)
        .filter((f) => f.endsWith('.eml'))
        .sort()
    : [];
  for (const file of files.reverse()) {
    const raw = fs.readFileSync(path.join(outboxDir, file), 'utf8');
    if (!new RegExp(`^To: .*${to.replace(/[.+]/g, '\\$&')}`, 'mi').test(raw)) continue;
    const [, body = ''] = raw.split(/\r?\n\r?\n/, 2).length
      ? [raw.slice(0, raw.search(/\r?\n\r?\n/)), raw.slice(raw.search(/\r?\n\r?\n/))]
      : [];
    if (/Content-Transfer-Encoding: quoted-printable/i.test(raw)) {
      return body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
    }
    if (/Content-Transfer-Encoding: base64/i.test(raw)) return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    return body;
  }
  return undefined;
}

/** A link in a mail body, as a path on the test server. */
export function linkFrom(text: string, pathStart: string): string {
  const match = new RegExp(`https?://\\S+?(${pathStart.replace(/[?]/g, '\\?')}\\S*)`).exec(text);
  if (!match) throw new Error(`no ${pathStart} link in the e-mail`);
  return match[1];
}

const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** Runs axe-core in the page (through the DevTools protocol, so the CSP stays on) at WCAG 2.1 A/AA. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const loaded = await page.evaluate('typeof window.axe !== "undefined"');
  if (!loaded) await page.evaluate(AXE_SOURCE);
  // A string, evaluated in the page: the test code itself has no DOM types.
  return page.evaluate(`window.axe
    .run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
    .then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))`);
}

export function describeViolations(url: string, violations: AxeViolation[]): string {
  return violations
    .map((v) => `${url}: ${v.id} (${v.impact}) ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
    .join('\n');
}
