import { z } from 'zod';
import type { FieldErrors } from '../errors';

// Form validation. Schemas use i18n keys as their messages ('errors:field.required'),
// so a failed check turns into text next to the field in the visitor's language.

const errorMap: z.ZodErrorMap = (issue, ctx) => {
  if (issue.code === z.ZodIssueCode.invalid_type) {
    return { message: issue.received === 'undefined' ? 'errors:field.required' : 'errors:field.invalid' };
  }
  if (issue.code === z.ZodIssueCode.too_big && issue.type === 'string') return { message: 'errors:field.too_long' };
  if (issue.code === z.ZodIssueCode.too_small && issue.type === 'string') {
    return { message: issue.minimum === 1 ? 'errors:field.required' : 'errors:field.too_short' };
  }
  if (issue.code === z.ZodIssueCode.invalid_enum_value) return { message: 'errors:field.invalid_choice' };
  return { message: ctx.defaultError.startsWith('errors:') ? ctx.defaultError : 'errors:field.invalid' };
};

/**
 * A field error that needs values in its text ("00950 is not a Kontula postal code"):
 * the i18n key and its parameters in one string, which the page's translator reads
 * (server/i18n/index.ts), so FieldErrors stay plain strings everywhere.
 */
export function fieldError(key: string, params: Record<string, string | number>): string {
  return `${key}|${JSON.stringify(params)}`;
}

export type ParseResult<T> = { ok: true; data: T } | { ok: false; fields: FieldErrors };

export function parseForm<S extends z.ZodTypeAny>(schema: S, input: unknown): ParseResult<z.infer<S>> {
  const result = schema.safeParse(input ?? {}, { errorMap });
  if (result.success) return { ok: true, data: result.data };
  const fields: FieldErrors = {};
  for (const issue of result.error.issues) {
    const key = String(issue.path[0] ?? '_form');
    fields[key] ??= issue.message;
  }
  return { ok: false, fields };
}

/**
 * Control characters (NUL and the rest of C0 but tab and line breaks, DEL) and U+FFFD,
 * which is what bytes that are not UTF-8 decode to. Neither belongs in anything a person
 * types, and a NUL makes SQLite refuse the whole statement.
 */
// eslint-disable-next-line no-control-regex
export const BAD_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFD]/;
export const hasBadCharacters = (s: string) => BAD_CHARACTERS.test(s);
const noBadCharacters = (s: string) => !hasBadCharacters(s);
const BAD_MESSAGE = { message: 'errors:field.control_chars' };

/** A single text field from a form: trimmed; anything but a string counts as missing. */
export const text = (max: number) =>
  z.preprocess((v) => (typeof v === 'string' ? v.trim() : v), z.string().max(max).refine(noBadCharacters, BAD_MESSAGE));
export const requiredText = (max: number) =>
  z.preprocess((v) => (typeof v === 'string' ? v.trim() : v), z.string().min(1).max(max).refine(noBadCharacters, BAD_MESSAGE));
/** A password is taken exactly as typed (no trimming). */
export const passwordField = z.string().min(1).max(1024);
/** Whether a checkbox was ticked: present and "on" (or "1", "true") — the one reading of a box, here and in search. */
export const isTicked = (v: unknown): boolean => v === 'on' || v === '1' || v === 'true' || v === true;
/** A checkbox in a zod schema. */
export const checkbox = z.preprocess(isTicked, z.boolean());

/** Returns the submitted values to show again in a re-rendered form (never passwords). */
export function keepInput(body: unknown, omit: string[] = ['password', 'password_confirm', '_csrf', 'current_password']) {
  const out: Record<string, string | string[]> = {};
  if (body && typeof body === 'object') {
    for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
      if (omit.includes(k)) continue;
      if (typeof v === 'string') out[k] = v;
      else if (Array.isArray(v)) out[k] = v.filter((x): x is string => typeof x === 'string');
    }
  }
  return out;
}
