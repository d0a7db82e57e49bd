import path from 'node:path';
import ejs from 'ejs';
import { formatters, translator, type Locale } from '../i18n';
import { VIEWS_DIR } from '../paths';
import type { OutgoingMail } from './mailer';

// E-mails are EJS templates in views/emails/<name>.ejs rendered as plain text in the
// recipient's language. They carry links and the recipient's own data only: never a
// message text, never another tenant's contact details.
export async function renderMail(
  name: string,
  to: string,
  locale: Locale,
  data: Record<string, unknown>,
  orgName: string,
  // An area may keep its e-mail's subject in its own namespace (e.g. 'messages:email.subject').
  opts: { subjectKey?: string } = {},
): Promise<OutgoingMail> {
  const t = translator(locale);
  const text = await ejs.renderFile(
    path.join(VIEWS_DIR, 'emails', `${name}.ejs`),
    { ...data, t, fmt: formatters(locale), orgName, locale },
    // Compiled once per template outside development (the daily alert job renders tens of
    // thousands: reading and compiling each time cost ~2 ms a mail).
    { escape: (s: unknown) => String(s ?? ''), async: true, cache: process.env.NODE_ENV !== 'development' },
  );
  return {
    to,
    subject: t(opts.subjectKey ?? `emails:${name}.subject`, { orgName }),
    text: text.replace(/\n{3,}/g, '\n\n').trim() + '\n',
    // Finnish mail comes from "Asunnonvaihtopörssi", Swedish from "Bostadsbytesbörsen".
    fromName: t('common:site_name'),
  };
}
