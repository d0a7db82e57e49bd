import { z } from 'zod';
import { MESSAGE_MAX_LENGTH, REPORT_DETAILS_MAX_LENGTH } from '../services/messages';
import { REPORT_REASONS } from '../types/constants';
import { hasBadCharacters, text } from './index';

// The message forms: a message or reply, and reporting a message. The views read the
// limits from here (MESSAGE_LIMITS), so the textarea's maxlength and the check agree.

export const MESSAGE_LIMITS = { body: MESSAGE_MAX_LENGTH, details: REPORT_DETAILS_MAX_LENGTH } as const;

/** Message text: browsers send line breaks as CRLF; counted as one character each, like the textarea's maxlength. */
const messageBody = z.preprocess(
  (v) => (typeof v === 'string' ? v.replace(/\r\n?/g, '\n').trim() : v),
  z
    .string()
    .min(1)
    .max(MESSAGE_MAX_LENGTH)
    .refine((s) => !hasBadCharacters(s), { message: 'errors:field.control_chars' }),
);
export const messageSchema = z.object({ body: messageBody });

export const messageReportSchema = z.object({
  reason: z.enum(REPORT_REASONS),
  details: text(REPORT_DETAILS_MAX_LENGTH).default(''),
});
