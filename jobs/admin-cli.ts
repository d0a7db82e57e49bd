import readline from 'node:readline';
import { parseArgs } from 'node:util';
import { createDb } from '../models';
import { migrate } from '../models/migrate';
import { ADMIN_PASSWORD_MIN } from '../server/auth/passwords';
import { announceWrites } from '../server/cache-bus';
import { loadConfig } from '../server/config';
import type { AppDeps } from '../server/context';
import { isAppError } from '../server/errors';
import { translator } from '../server/i18n';
import { createLogger } from '../server/logger';
import { createMailer } from '../server/mail/mailer';
import { createModerationService } from '../server/services/moderation';
import { createRateLimits } from '../server/services/rate-limits';

// The operator's tool for moderators (docs/product.md#moderation; its output lines are
// among docs/product.md#names-that-stay-stable):
//   npm run admin -- create --username U --email E   (password: ADMIN_PASSWORD, else a prompt without echo)
//   npm run admin -- promote U                        (also: a new TOTP secret for a moderator who lost theirs)
//   npm run admin -- demote U                         (never the last moderator)
// It opens the same DATABASE_URL as the server and may run while the server runs: on
// SQLite the busy timeout queues its few writes behind the server's.

export interface CliIo {
  deps: AppDeps;
  stdout: { write(chunk: string): unknown };
  stderr?: { write(chunk: string): unknown };
  /** Asks for a secret without echoing it; null when there is no one to ask. */
  prompt?: (question: string) => Promise<string | null>;
  env?: NodeJS.ProcessEnv;
}

const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

/** Runs one CLI command in-process and returns the exit code (tests call this directly). */
export async function runAdminCli(argv: string[], io: CliIo): Promise<number> {
  const t = translator('en');
  const out = (line: string) => io.stdout.write(line + '\n');
  const err = (line: string) => (io.stderr ?? io.stdout).write(line + '\n');
  const env = io.env ?? process.env;
  const moderation = createModerationService(io.deps);

  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    err(e instanceof Error ? e.message : String(e));
    err(t('admin:cli.usage'));
    return EXIT.USAGE;
  }
  const { command, username, email } = parsed;
  if (command === 'help') {
    out(t('admin:cli.usage'));
    return EXIT.OK;
  }
  if (!command || !['create', 'promote', 'demote'].includes(command)) {
    err(t('admin:cli.errors.usage'));
    err(t('admin:cli.usage'));
    return EXIT.USAGE;
  }
  if (!username) {
    err(t('admin:cli.errors.missing_option', { option: 'username' }));
    return EXIT.USAGE;
  }

  try {
    if (command === 'create') {
      if (!email) {
        err(t('admin:cli.errors.missing_option', { option: 'email' }));
        return EXIT.USAGE;
      }
      const password = await readPassword(env, io.prompt, t);
      if (password.problem !== undefined) {
        err(password.problem);
        return EXIT.FAILED;
      }
      const { user, uri } = await moderation.createModerator({ username, email, password: password.value });
      out(t('admin:cli.created', { username: user.username, id: user.id }));
      out(t('admin:cli.otpauth_intro'));
      out(uri);
      return EXIT.OK;
    }

    const user = await moderation.findByUsername(username);
    if (!user) {
      err(t('admin:cli.errors.not_found', { username }));
      return EXIT.FAILED;
    }
    if (command === 'promote') {
      const { uri } = await moderation.promote(user);
      out(t('admin:cli.promoted', { username: user.username, id: user.id }));
      out(t('admin:cli.password_note', { min: ADMIN_PASSWORD_MIN }));
      out(t('admin:cli.otpauth_intro'));
      out(uri);
      return EXIT.OK;
    }
    await moderation.demote(user);
    out(t('admin:cli.demoted', { username: user.username, id: user.id }));
    return EXIT.OK;
  } catch (e) {
    if (isAppError(e)) {
      if (e.details.fields) {
        for (const key of Object.values(e.details.fields)) {
          err(
            key === 'errors:password.too_short' ? t('admin:cli.errors.password_too_short', { min: ADMIN_PASSWORD_MIN }) : t(key),
          );
        }
      } else {
        err(t(e.id.includes(':') ? e.id : `errors:${e.id}`));
      }
      return EXIT.FAILED;
    }
    err(t('admin:cli.errors.failed', { message: e instanceof Error ? e.message : String(e) }));
    return EXIT.FAILED;
  }
}

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { username: { type: 'string' }, email: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  const command = values.help ? 'help' : positionals[0];
  // `promote U` and `promote --username U` both work.
  const username = (values.username ?? positionals[1] ?? '').trim();
  return { command, username, email: (values.email ?? '').trim() };
}

async function readPassword(
  env: NodeJS.ProcessEnv,
  prompt: CliIo['prompt'],
  t: ReturnType<typeof translator>,
): Promise<{ value: string; problem?: undefined } | { value?: undefined; problem: string }> {
  // Taken as given (no trimming), like the web forms.
  if (env.ADMIN_PASSWORD !== undefined && env.ADMIN_PASSWORD !== '') return { value: env.ADMIN_PASSWORD };
  if (!prompt) return { problem: t('admin:cli.errors.no_password') };
  const first = await prompt(t('admin:cli.password_prompt', { min: ADMIN_PASSWORD_MIN }));
  if (first === null || first === '') return { problem: t('admin:cli.errors.no_password') };
  const again = await prompt(t('admin:cli.password_repeat'));
  if (again !== first) return { problem: t('admin:cli.errors.password_mismatch') };
  return { value: first };
}

/**
 * A password prompt that does not echo: in a terminal, stdin goes to raw mode and the
 * keys are collected here; from a pipe, lines are read one by one.
 */
export function terminalPrompt(): (question: string) => Promise<string | null> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const lines: string[] = [];
    const waiting: ((line: string | null) => void)[] = [];
    let ended = false;
    const rl = readline.createInterface({ input: stdin, terminal: false });
    rl.on('line', (line) => (waiting.length ? waiting.shift()!(line) : lines.push(line)));
    rl.on('close', () => {
      ended = true;
      while (waiting.length) waiting.shift()!(null);
    });
    return (question) => {
      process.stderr.write(question + '\n');
      if (lines.length) return Promise.resolve(lines.shift()!);
      if (ended) return Promise.resolve(null);
      return new Promise((resolve) => waiting.push(resolve));
    };
  }
  return (question) =>
    new Promise((resolve) => {
      process.stdout.write(question);
      let value = '';
      const finish = (result: string | null) => {
        stdin.off('data', onData);
        stdin.setRawMode(false);
        stdin.pause();
        process.stdout.write('\n');
        resolve(result);
      };
      const onData = (chunk: string) => {
        for (const ch of chunk) {
          if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish(value);
          if (ch === '\u0003') return finish(null); // Ctrl-C
          if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
          else if (ch >= ' ') value += ch;
        }
      };
      stdin.setRawMode(true);
      stdin.setEncoding('utf8');
      stdin.resume();
      stdin.on('data', onData);
    });
}

async function main(): Promise<void> {
  const config = loadConfig();
  // Log lines go to stderr and stay quiet unless LOG_LEVEL asks, so stdout carries only
  // the answer (and the otpauth line can be piped).
  const logger = createLogger(process.env.LOG_LEVEL ? config.logLevel : 'warn', process.stderr);
  const db = createDb(config, logger);
  try {
    await migrate(db);
    const rateLimits = await createRateLimits(db, config, { memory: true });
    const deps: AppDeps = { config, db, logger, mailer: createMailer(config), rateLimits, clock: () => new Date() };
    // Hiding a listing or suspending a tenant shows on the visitors' pages at once.
    const stopAnnouncing = await announceWrites(db, config, logger);
    process.exitCode = await runAdminCli(process.argv.slice(2), {
      deps,
      stdout: process.stdout,
      stderr: process.stderr,
      prompt: terminalPrompt(),
      env: process.env,
    });
    await stopAnnouncing();
    await rateLimits.close();
  } finally {
    await db.close();
  }
}

if (require.main === module) {
  main()
    .then(() => process.exit(process.exitCode ?? 0))
    .catch((e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    });
}
