import type { Request } from 'express';
import type { User } from '../../types/records';

/** The signed-in moderator (the admin guard has already checked there is one). */
export function moderator(req: Request): User {
  return req.user!;
}

/** A query-string value as a plain string ("" for anything else). */
export function queryText(raw: unknown, max = 200): string {
  return typeof raw === 'string' ? raw.trim().slice(0, max) : '';
}

/**
 * Where an action sent from another admin page (hiding from a report) goes back to: an
 * /admin path given in the form's `return` field, or the fallback.
 */
export function returnTo(req: Request, fallback: string): string {
  const raw = (req.body as Record<string, unknown> | undefined)?.return;
  return typeof raw === 'string' && /^\/admin\/[a-z]+(\/\d{1,9})?$/.test(raw) ? raw : fallback;
}
