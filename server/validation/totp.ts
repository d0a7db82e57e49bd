import { z } from 'zod';
import { text } from './index';

// The moderator's code form (/login/totp). The problems that are about the code field
// itself get a message next to it; the others (locked, no secret) only above the form.

export const totpSchema = z.object({ totp: text(20), next: text(600).optional() });

const FIELD_PROBLEMS: readonly string[] = ['format', 'wrong', 'reused'];

/** The i18n key of the message shown next to the code field, or null when the problem is not the code's. */
export function totpFieldError(problem: string | null): string | null {
  return problem && FIELD_PROBLEMS.includes(problem) ? `admin:totp.errors.${problem}` : null;
}
