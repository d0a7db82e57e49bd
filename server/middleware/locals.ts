import type { RequestHandler } from 'express';
import { User } from '../../models/user';
import { formatters, fromAcceptLanguage, isLocale, LOCALES, translator, type Locale, DEFAULT_LOCALE } from '../i18n';
import { can } from '../policies';

export const LANG_COOKIE = 'bb.lang';

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k !== name) continue;
    // A malformed value (a stray %) counts as no choice at all, never as an error.
    try {
      return decodeURIComponent(v.join('='));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Remembers the language chosen for this visit (the switcher; saving /account sets it too). */
export function setLanguageCookie(req: Parameters<RequestHandler>[0], res: Parameters<RequestHandler>[1], lang: Locale): void {
  res.cookie(LANG_COOKIE, lang, { httpOnly: true, sameSite: 'lax', secure: req.secure });
}

// The page's language: the switcher's choice for this visit, else the signed-in tenant's
// saved language, else the browser's Accept-Language, else Swedish.
export function resolveLocale(req: Parameters<RequestHandler>[0]): Locale {
  const chosen = cookieValue(req.headers.cookie, LANG_COOKIE);
  if (isLocale(chosen)) return chosen;
  const saved = req.user instanceof User ? req.user.locale : undefined;
  if (isLocale(saved)) return saved;
  return fromAcceptLanguage(req.get('accept-language')) ?? DEFAULT_LOCALE;
}

/** Sets the locals every template relies on; the error handler uses it too, for early errors. */
export type SetTemplateLocals = (req: Parameters<RequestHandler>[0], res: Parameters<RequestHandler>[1]) => void;

/**
 * The template locals, with the header's view of the signed-in user made by the
 * presenter app.ts passes in (middleware sits below the presenters and imports none).
 */
export function templateLocals(presentUser: (user: InstanceType<typeof User>) => unknown): {
  handler: RequestHandler;
  set: SetTemplateLocals;
} {
  const set: SetTemplateLocals = (req, res) => setTemplateLocals(req, res, presentUser);
  return {
    set,
    handler: function templateLocals(req, res, next) {
      set(req, res);
      next();
    },
  };
}

function setTemplateLocals(
  req: Parameters<RequestHandler>[0],
  res: Parameters<RequestHandler>[1],
  presentUser: (user: InstanceType<typeof User>) => unknown,
): void {
  const locale = resolveLocale(req);
  req.locale = locale;
  const user = req.user instanceof User ? req.user : undefined;
  res.locals.locale = locale;
  res.locals.locales = LOCALES;
  res.locals.t = translator(locale);
  res.locals.fmt = formatters(locale);
  res.locals.currentUser = user ? presentUser(user) : null;
  res.locals.can = (action: string, target?: unknown) => can(user, action, target);
  res.locals.currentPath = req.originalUrl.split('#')[0];
  res.locals.currentPathname = req.path;
  res.locals.unreadTotal = 0;
  res.locals.flashes ??= [];
  res.locals.allowIndexing ??= false;
  res.locals.csrfToken ??= () => '';
}
