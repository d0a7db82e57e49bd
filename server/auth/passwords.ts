import os from 'node:os';
import argon2 from 'argon2';
import type { Config } from '../config';

// Each argon2 call takes 19 MiB and a whole core for ~0.1 s in one of libuv's threads.
// More at once than there are cores finishes none sooner, holds threads the database
// needs, and multiplies memory: glibc keeps each thread's 19 MiB after the hash (16
// sign-ins at once left the server 230 MB larger for good). So they take turns.
export const ARGON2_AT_ONCE = Math.max(1, os.availableParallelism());
let running = 0;
const queue: (() => void)[] = [];

async function inTurn<T>(task: () => Promise<T>): Promise<T> {
  if (running >= ARGON2_AT_ONCE) await new Promise<void>((resolve) => queue.push(resolve));
  else running++;
  try {
    return await task();
  } finally {
    const next = queue.shift();
    if (next) next();
    else running--;
  }
}

// Passwords are hashed with argon2id; the cost comes from config (OWASP's 19 MiB,
// 2 iterations, 1 lane by default). argon2.verify reads the parameters from the stored
// hash, so raising the cost later does not lock anyone out.
export async function hashPassword(password: string, cfg: Pick<Config, 'argon2'>): Promise<string> {
  return inTurn(() =>
    argon2.hash(password, {
      type: argon2.argon2id,
      memoryCost: cfg.argon2.memoryCost,
      timeCost: cfg.argon2.timeCost,
      parallelism: 1,
    }),
  );
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await inTurn(() => argon2.verify(hash, password));
  } catch {
    return false;
  }
}

// A fixed hash to verify against when the account does not exist, so a failed sign-in
// takes the same time whether or not the username is registered.
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(cfg: Pick<Config, 'argon2'>): Promise<string> {
  dummyHash ??= hashPassword('this-account-does-not-exist', cfg);
  return dummyHash;
}

let common: Set<string> | undefined;
function commonPasswords(): Set<string> {
  if (!common) {
    // The 49,000 most common passwords from breach corpora, shipped inside the
    // @zxcvbn-ts/language-common package: checked locally, never against an outside service.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pkg = require('@zxcvbn-ts/language-common') as { dictionary: Record<string, string[]> };
    common = new Set(pkg.dictionary['passwords-common'].map((p) => p.toLowerCase()));
    for (const extra of [
      'salasana1234',
      'salasana12345',
      'lösenord1234',
      'losenord1234',
      'helsinki1234',
      'helsingfors1234',
      'password1234',
      'qwertyuiopå',
      'qwertyuiopåä',
      'asdfghjklöä',
    ])
      common.add(extra);
  }
  return common;
}

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;
export const ADMIN_PASSWORD_MIN = 15;

// NIST 800-63B style: length limits and a block list, no composition rules. A password
// is also refused when it is a common password repeated ("passwordpassword") or built
// from the person's own username or e-mail.
export function passwordProblem(
  password: string,
  context: { username?: string; email?: string; min?: number } = {},
): 'too_short' | 'too_long' | 'common' | 'personal' | undefined {
  const min = context.min ?? PASSWORD_MIN;
  if ([...password].length < min) return 'too_short';
  if ([...password].length > PASSWORD_MAX) return 'too_long';
  const lower = password.toLowerCase();
  const list = commonPasswords();
  if (list.has(lower)) return 'common';
  for (let size = 1; size <= lower.length / 2; size++) {
    if (lower.length % size !== 0) continue;
    const unit = lower.slice(0, size);
    if (unit.repeat(lower.length / size) === lower && (size < 4 || list.has(unit))) return 'common';
  }
  const stripped = lower.replace(/[\d\W_]+$/u, '');
  if (stripped.length >= 4 && list.has(stripped)) return 'common';
  const username = context.username?.toLowerCase();
  const local = context.email?.toLowerCase().split('@')[0];
  for (const own of [username, local]) {
    if (own && own.length >= 3 && lower.replace(/[\d\W_]+/gu, '') === own.replace(/[\d\W_]+/gu, '')) return 'personal';
  }
  return undefined;
}
