import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createDb, type Db } from '../../models';
import { migrate } from '../../models/migrate';
import { createApp, type BoardApp } from '../../server/app';
import type { AppDeps } from '../../server/context';
import { createLogger } from '../../server/logger';
import { createMailer } from '../../server/mail/mailer';
import { createRateLimits } from '../../server/services/rate-limits';
import { testConfig } from '../helpers/context';

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
    if (process.env.CI) throw new Error(`Chromium is missing at ${CHROMIUM}: .ci/run installs it with apt-get install -y chromium`);
    console.log(`    Browser tests skipped: no Chromium at ${CHROMIUM}. Install it with: sudo apt-get install -y chromium`);
    ctx.skip();
  }
  return true;
}

export interface BrowserServer {
  baseUrl: string;
  deps: AppDeps;
  db: Db;
  board: BoardApp;
  outboxDir: string;
  screenshotsDir: string;
  browser: Browser;
  /** Every request any page made, to check that nothing went to another origin. */
  requests: string[];
  newContext(opts?: { javaScriptEnabled?: boolean; locale?: string; width?: number }): Promise<BrowserContext>;
  close(): Promise<void>;
}

export async function startBrowserServer(): Promise<BrowserServer> {
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bostadsbyte-browser-'));
  const config = testConfig(tmpDir, { DATABASE_URL: `sqlite:${path.join(tmpDir, 'board.sqlite')}`, LOG_LEVEL: 'silent' });
  const db = createDb(config);
  await migrate(db);
  const rateLimits = await createRateLimits(db, config);
  // The real mailer: with no SMTP_URL it writes .eml files to the outbox, which the
  // journeys open like a tenant opens their mail.
  const mailer = createMailer(config);
  const deps: AppDeps = { config, db, logger: createLogger('silent'), mailer, rateLimits, clock: () => new Date() };
  const board = createApp(deps);
  const server = http.createServer(board.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const baseUrl = `http://127.0.0.1:${port}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
    ],
  });
  const requests: string[] = [];
  const screenshotsDir = path.resolve(__dirname, '..', '..', 'docs', 'screenshots');
  return {
    baseUrl, deps, db, board, outboxDir: config.outboxDir, screenshotsDir, browser, requests,
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
    async close() {
      await browser.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      board.close();
      await rateLimits.close();
      await db.close();
      fs.rmSync(tmpDir, { recursive: true, force: true });
    },
  };
}

/** The newest .eml in the outbox addressed to `to`, decoded to text. */
export function lastMailTo(outboxDir: string, to: string): string {
  const files = fs.existsSync(outboxDir) ? fs.readdirSync(outboxDir).filter((f) => f.endsWith('.eml')).sort() : [];
  for (const file of files.reverse()) {
    const raw = fs.readFileSync(path.join(outboxDir, file), 'utf8');
    if (!new RegExp(`^To: .*${to.replace(/[.+]/g, '\\$&')}`, 'mi').test(raw)) continue;
    const [, body = ''] = raw.split(/\r?\n\r?\n/, 2).length ? [raw.slice(0, raw.search(/\r?\n\r?\n/)), raw.slice(raw.search(/\r?\n\r?\n/))] : [];
    if (/Content-Transfer-Encoding: quoted-printable/i.test(raw)) {
      return body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
    }
    if (/Content-Transfer-Encoding: base64/i.test(raw)) return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    return body;
  }
  throw new Error(`no e-mail to ${to} in the outbox`);
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
  return violations.map((v) => `${url}: ${v.id} (${v.impact}) ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`).join('\n');
}
