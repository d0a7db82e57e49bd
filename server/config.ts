import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ROOT } from './paths';

// Every setting is read and checked here, once, at start-up. Defaults make
// `npm start` work on a fresh machine with no environment at all.

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .optional()
    .transform((v) => (v === undefined ? fallback : ['true', '1', 'yes'].includes(v)));

const int = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);

const EnvSchema = z.object({
  // Anything but an explicit `development` or `test` runs as production (safe by default).
  NODE_ENV: z.string().optional(),
  PORT: int(3000, 0),
  DATABASE_URL: z.string().min(1).default('sqlite:data/bostadsbyte.sqlite'),
  // Read-only SQLite connections that serve reads outside transactions (0: every query on
  // the one read-write connection). See models/index.ts.
  SQLITE_READ_CONNECTIONS: z.coerce.number().int().min(0).max(16).default(3),
  SESSION_SECRET: z.string().min(32, 'SESSION_SECRET must be at least 32 characters').optional(),
  BASE_URL: z.string().url().optional(),
  SMTP_URL: z.string().url().optional(),
  MAIL_FROM: z.string().min(3).optional(),
  MAIL_OUTBOX_DIR: z.string().min(1).default('data/outbox'),
  TRUST_PROXY: z.string().optional(),
  PURGE_SCHEDULE: z.string().min(9).default('30 3 * * *'),
  PURGE_TIMEZONE: z.string().default('Europe/Helsinki'),
  PURGE_ENABLED: bool(true),
  PURGE_RETENTION_MONTHS: int(3, 1),
  PURGE_WARNING_DAYS: int(14, 1),
  // 1,500: at 1,000,000 accounts the longest batch took 0.46 s (target < 1 s) and the job ran
  // at 54 % of one hand-written DELETE; 1,000 gave 48 % (README, Purge).
  PURGE_BATCH_SIZE: int(1500, 1),
  ALERTS_SCHEDULE: z.string().min(9).default('0 7 * * *'),
  ALERTS_TIMEZONE: z.string().default('Europe/Helsinki'),
  ALERTS_ENABLED: bool(true),
  ALERTS_BATCH_SIZE: int(1000, 1),
  // Seconds a SIGTERM waits for requests in flight before closing their connections.
  SHUTDOWN_TIMEOUT_SECONDS: int(10, 1),
  // Days `npm run backup` keeps older backups in its folder: deleted accounts must not
  // live on in backups much longer than the purge's promise.
  BACKUP_RETENTION_DAYS: int(14, 1),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  ORG_NAME: z.string().min(1).default('Heka'),
  ORG_LEGAL_NAME: z.string().min(1).default('Helsingfors stads bostäder Ab'),
  // The company's registered Finnish name, used on Finnish and English pages.
  ORG_LEGAL_NAME_FI: z.string().min(1).default('Helsingin kaupungin asunnot Oy'),
  PRIVACY_CONTACT: z.string().min(3).default('tietosuoja@hekaoy.fi'),
  ACCESSIBILITY_CONTACT: z.string().min(3).default('saavutettavuus@heka.fi'),
  // A JSON file with the operator's own "Before you swap" text and links per language.
  SWAP_GUIDE_FILE: z.string().min(1).optional(),
  SESSION_IDLE_MINUTES: int(30, 1),
  SESSION_ABSOLUTE_HOURS: int(12, 1),
  DATA_DIR: z.string().min(1).default('data'),
  // argon2id cost. The defaults are OWASP's recommendation (19 MiB, 2 passes, 1 lane).
  ARGON2_MEMORY_KIB: int(19456, 1024),
  ARGON2_TIME_COST: int(2, 1),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: int(10, 1),
  LOGIN_MAX_FAILURES_PER_IP: int(50, 1),
  LOGIN_LOCK_MINUTES: int(15, 1),
  MAIL_MAX_PER_HOUR: int(5, 1),
  REGISTRATIONS_PER_IP_PER_HOUR: int(20, 1),
  SEARCH_PER_IP_PER_MINUTE: int(120, 1),
  NEW_CONVERSATIONS_PER_DAY: int(20, 1),
  MESSAGES_PER_HOUR: int(60, 1),
  TOTP_MAX_FAILURES: int(5, 1),
  BENCH_BARE_ROUTE: bool(false),
  // Seconds an anonymous search or listing page may be served from memory (0: never).
  // Any write to listings or users empties the cache at once, in every process sharing
  // PostgreSQL (server/cache-bus.ts); on SQLite the lifetime bounds how long a change
  // made by another process (a CLI) can take to show.
  PAGE_CACHE_SECONDS: z.coerce.number().int().min(0).max(300).optional(),
  // App processes `npm run start:cluster` forks (PostgreSQL only); 0: one per CPU core.
  WORKERS: int(0, 0),
});

export type Env = z.infer<typeof EnvSchema>;
export type RunMode = 'development' | 'production' | 'test';

export interface Config {
  /** How the board behaves: `production` unless NODE_ENV says development or test. */
  readonly env: RunMode;
  /** NODE_ENV as given (undefined when unset): the seeder refuses an explicit `production`. */
  readonly declaredEnv: string | undefined;
  readonly isProduction: boolean;
  readonly isTest: boolean;
  readonly port: number;
  readonly root: string;
  readonly dataDir: string;
  readonly database: {
    readonly dialect: 'sqlite' | 'postgres';
    readonly url: string;
    readonly storage?: string;
    /** SQLite only: how many read-only connections serve reads outside transactions. */
    readonly readConnections?: number;
  };
  readonly sessionSecret: string;
  readonly baseUrl: string;
  readonly smtpUrl?: string;
  readonly mailFrom: string;
  readonly outboxDir: string;
  readonly trustProxy: false | number | string;
  /** The session cookie is always Secure (BASE_URL is https://); else Secure only on HTTPS requests. */
  readonly secureCookie: boolean;
  /** Things the operator should know at start-up (logged by the server). */
  readonly warnings: readonly string[];
  readonly purge: {
    readonly schedule: string;
    readonly timezone: string;
    readonly enabled: boolean;
    readonly retentionMonths: number;
    readonly warningDays: number;
    readonly batchSize: number;
  };
  /** The daily alert e-mails (jobs/alerts.ts). */
  readonly alerts: {
    readonly schedule: string;
    readonly timezone: string;
    readonly enabled: boolean;
    readonly batchSize: number;
  };
  readonly logLevel: string;
  readonly shutdownTimeoutMs: number;
  readonly backupRetentionDays: number;
  /** Mounts GET /bench/bare, the benchmark's ceiling (never on in production). */
  readonly benchBareRoute: boolean;
  /** How long anonymous search and listing pages are kept in memory, in ms (0: off). */
  readonly pageCacheMs: number;
  /** Processes server/cluster.ts forks (0: one per CPU core). */
  readonly workers: number;
  readonly org: {
    readonly name: string;
    /** The Swedish legal name (the default language's). */
    readonly legalName: string;
    /** The legal name as each language's pages name the company. */
    readonly legalNames: { readonly sv: string; readonly fi: string; readonly en: string };
    readonly privacyContact: string;
    readonly accessibilityContact: string;
  };
  readonly session: { readonly idleMs: number; readonly absoluteMs: number };
  /** The operator's "Before you swap" text per language; null: the built-in text. */
  readonly swapGuide: SwapGuide | null;
  readonly argon2: { readonly memoryCost: number; readonly timeCost: number };
  readonly limits: {
    readonly loginFailuresPerAccount: number;
    readonly loginFailuresPerIp: number;
    readonly loginLockSeconds: number;
    readonly mailPerHour: number;
    readonly registrationsPerIpPerHour: number;
    readonly searchPerIpPerMinute: number;
    readonly newConversationsPerDay: number;
    readonly messagesPerHour: number;
    readonly totpFailures: number;
  };
}

export class ConfigError extends Error {}

// "Before you swap": who may swap, that the landlord must approve an agreed swap, that
// asking for money is forbidden. Each operator words it for their own landlord and
// links to their own application form, in all three languages:
//   { "sv": { "paragraphs": ["…"], "links": [{ "text": "…", "href": "https://…" }] }, "fi": …, "en": … }
const guideLink = z.object({
  text: z.string().min(1).max(200),
  href: z
    .string()
    .max(500)
    .refine((h) => /^https?:\/\//.test(h) || /^\/[^/\\]/.test(h), 'an http(s) address or a path on this board'),
});
const guideLanguage = z.object({
  paragraphs: z.array(z.string().min(1).max(2000)).min(1).max(20),
  links: z.array(guideLink).max(10).default([]),
});
const SwapGuideSchema = z.object({ sv: guideLanguage, fi: guideLanguage, en: guideLanguage });
export type SwapGuide = z.infer<typeof SwapGuideSchema>;

function loadSwapGuide(file: string | undefined, root: string): SwapGuide | null {
  if (!file) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(path.resolve(root, file), 'utf8'));
  } catch (err) {
    throw new ConfigError(`SWAP_GUIDE_FILE: cannot read ${file} as JSON (${(err as Error).message})`);
  }
  const parsed = SwapGuideSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError('SWAP_GUIDE_FILE: ' + parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  return parsed.data;
}

// `true` would trust every X-Forwarded-For hop, so anyone could pick the address every
// per-IP limit counts by. A hop count or the proxies' addresses say which hops to trust.
function parseTrustProxy(raw: string | undefined): false | number | string {
  const value = raw?.trim();
  if (value === undefined || value === '' || value === 'false' || value === '0') return false;
  if (value === 'true') {
    throw new ConfigError(
      'TRUST_PROXY=true would trust any X-Forwarded-For header, so per-IP limits could be bypassed. ' +
        'Give the number of proxies in front of the board (e.g. TRUST_PROXY=1) or their addresses/subnets ' +
        '(e.g. TRUST_PROXY=10.0.0.0/8,loopback).',
    );
  }
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

// A secret that was not given is generated once and kept under data/ with mode 0600,
// so sessions survive restarts without the operator having to invent one.
function loadOrCreateSecret(dataDir: string, name: string): string {
  const file = path.join(dataDir, name);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing.length >= 32) return existing;
  } catch {
    // not there yet: create below
  }
  const secret = crypto.randomBytes(48).toString('base64url');
  fs.writeFileSync(file, secret + '\n', { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return secret;
}

function parseDatabase(url: string, root: string): Config['database'] {
  if (url.startsWith('sqlite:')) {
    const rest = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (rest === ':memory:' || rest === '') return { dialect: 'sqlite', url, storage: ':memory:' };
    return { dialect: 'sqlite', url, storage: path.resolve(root, rest) };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { dialect: 'postgres', url };
  throw new ConfigError('DATABASE_URL must start with sqlite: or postgres://');
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<keyof Env, string>> = {}): Config {
  const parsed = EnvSchema.safeParse({ ...source, ...overrides });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError('Invalid configuration:\n' + lines.join('\n'));
  }
  const e = parsed.data;
  const root = ROOT;
  const dataDir = path.resolve(root, e.DATA_DIR);
  const port = e.PORT;
  const env: RunMode = e.NODE_ENV === 'development' || e.NODE_ENV === 'test' ? e.NODE_ENV : 'production';
  const baseUrl = (e.BASE_URL ?? `http://localhost:${port}`).replace(/\/+$/, '');
  const secureCookie = baseUrl.startsWith('https://');
  const warnings: string[] = [];
  if (env === 'production' && !secureCookie && !/^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(baseUrl)) {
    warnings.push(
      'BASE_URL is plain http:// on a public address: session cookies are not Secure. Use https:// behind a TLS proxy.',
    );
  }
  const cfg: Config = {
    env,
    declaredEnv: e.NODE_ENV,
    isProduction: env === 'production',
    isTest: env === 'test',
    port,
    root,
    dataDir,
    database: { ...parseDatabase(e.DATABASE_URL, root), readConnections: e.SQLITE_READ_CONNECTIONS },
    sessionSecret: e.SESSION_SECRET ?? loadOrCreateSecret(dataDir, 'session-secret'),
    baseUrl,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM ?? `Bostadsbytesbörsen <no-reply@localhost>`,
    outboxDir: path.resolve(root, e.MAIL_OUTBOX_DIR),
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    secureCookie,
    warnings,
    purge: {
      schedule: e.PURGE_SCHEDULE,
      timezone: e.PURGE_TIMEZONE,
      enabled: e.PURGE_ENABLED,
      retentionMonths: e.PURGE_RETENTION_MONTHS,
      warningDays: e.PURGE_WARNING_DAYS,
      batchSize: e.PURGE_BATCH_SIZE,
    },
    alerts: {
      schedule: e.ALERTS_SCHEDULE,
      timezone: e.ALERTS_TIMEZONE,
      enabled: e.ALERTS_ENABLED,
      batchSize: e.ALERTS_BATCH_SIZE,
    },
    logLevel: e.LOG_LEVEL ?? (env === 'test' ? 'silent' : 'info'),
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_SECONDS * 1000,
    backupRetentionDays: e.BACKUP_RETENTION_DAYS,
    benchBareRoute: e.BENCH_BARE_ROUTE,
    // On in production; off in development (templates change) and tests unless asked for.
    pageCacheMs: (e.PAGE_CACHE_SECONDS ?? (env === 'production' ? 10 : 0)) * 1000,
    workers: e.WORKERS,
    org: {
      name: e.ORG_NAME,
      legalName: e.ORG_LEGAL_NAME,
      legalNames: { sv: e.ORG_LEGAL_NAME, fi: e.ORG_LEGAL_NAME_FI, en: e.ORG_LEGAL_NAME_FI },
      privacyContact: e.PRIVACY_CONTACT,
      accessibilityContact: e.ACCESSIBILITY_CONTACT,
    },
    session: { idleMs: e.SESSION_IDLE_MINUTES * 60_000, absoluteMs: e.SESSION_ABSOLUTE_HOURS * 3_600_000 },
    swapGuide: loadSwapGuide(e.SWAP_GUIDE_FILE, root),
    argon2: { memoryCost: e.ARGON2_MEMORY_KIB, timeCost: e.ARGON2_TIME_COST },
    limits: {
      loginFailuresPerAccount: e.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      loginFailuresPerIp: e.LOGIN_MAX_FAILURES_PER_IP,
      loginLockSeconds: e.LOGIN_LOCK_MINUTES * 60,
      mailPerHour: e.MAIL_MAX_PER_HOUR,
      registrationsPerIpPerHour: e.REGISTRATIONS_PER_IP_PER_HOUR,
      searchPerIpPerMinute: e.SEARCH_PER_IP_PER_MINUTE,
      newConversationsPerDay: e.NEW_CONVERSATIONS_PER_DAY,
      messagesPerHour: e.MESSAGES_PER_HOUR,
      totpFailures: e.TOTP_MAX_FAILURES,
    },
  };
  return Object.freeze(cfg);
}
