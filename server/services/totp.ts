import { generate, generateSecret, generateURI, verify } from 'otplib';
import type { Config } from '../config';

// Moderators' second factor: RFC 6238 TOTP (6 digits, 30-second steps, SHA-1 — what
// every authenticator app understands), computed by otplib. The secret never leaves the
// server except once, to the operator: printed by the CLI (npm run admin) for the
// moderator's app. The web pages never show it: a password alone must not enrol a phone.

export const TOTP_PERIOD_SECONDS = 30;
// One step either side, so a phone whose clock is a little off still works.
const TOLERANCE_SECONDS = TOTP_PERIOD_SECONDS;
export const TOTP_CODE_RE = /^\d{6}$/;

/** The name an authenticator app shows above the code. */
export function totpIssuer(config: Pick<Config, 'org'>): string {
  return `${config.org.name} Bostadsbytesbörsen`;
}

export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

/** otpauth://totp/<issuer>:<username>?secret=…&issuer=… — what a QR code carries. */
export function totpUri(config: Pick<Config, 'org'>, username: string, secret: string): string {
  return generateURI({ issuer: totpIssuer(config), label: username, secret, period: TOTP_PERIOD_SECONDS, digits: 6 });
}

/** Spaces and dashes some apps show inside the code are ignored. */
export function normaliseCode(input: string): string {
  return input.replace(/[\s-]/g, '');
}

export type TotpCheck = { ok: true; step: number } | { ok: false; problem: 'format' | 'wrong' | 'reused' };

/**
 * Checks a code at `now`. A code whose time step is not later than `lastStep` (the step
 * of the last code accepted) is refused as reused, so a code seen over a shoulder or
 * replayed from a log cannot be used again, even within its window.
 */
export async function checkTotp(secret: string, input: string, now: Date, lastStep: number | string | null): Promise<TotpCheck> {
  const code = normaliseCode(input);
  if (!TOTP_CODE_RE.test(code)) return { ok: false, problem: 'format' };
  const result = await verify({
    secret,
    token: code,
    epoch: Math.floor(now.getTime() / 1000),
    period: TOTP_PERIOD_SECONDS,
    epochTolerance: TOLERANCE_SECONDS,
  });
  // The functional API types its answer as TOTP-or-HOTP; a TOTP match carries timeStep.
  if (!result.valid || !('timeStep' in result)) return { ok: false, problem: 'wrong' };
  // PostgreSQL returns BIGINT columns as strings.
  if (lastStep !== null && result.timeStep <= Number(lastStep)) return { ok: false, problem: 'reused' };
  return { ok: true, step: result.timeStep };
}

/** The code an authenticator app would show at `at` (tests and the CLI's self-check). */
export function totpCodeAt(secret: string, at: Date): Promise<string> {
  return generate({ secret, epoch: Math.floor(at.getTime() / 1000), period: TOTP_PERIOD_SECONDS });
}
