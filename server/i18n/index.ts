import fs from 'node:fs';
import path from 'node:path';
import i18next, { type i18n, type TFunction } from 'i18next';
import { LOCALES, type Locale } from '../../models/user';
import { LOCALES_DIR } from '../paths';
import { fastOptions, fastTranslate } from './templates';

export { LOCALES, type Locale };
export const DEFAULT_LOCALE: Locale = 'sv';

// Intl locale per language: Finnish-Swedish formats for Swedish, British for English
// (day before month, 24-hour clock), which is what Helsinki's residents expect.
export const INTL_LOCALE: Record<Locale, string> = { sv: 'sv-FI', fi: 'fi-FI', en: 'en-GB' };
export const TIME_ZONE = 'Europe/Helsinki';

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

// Locale files: server/i18n/locales/<lang>/<namespace>.json. One namespace per area of
// the product, so the files stay readable and a key's owner is obvious.
export function loadResources(dir = LOCALES_DIR): Record<string, Record<string, object>> {
  const resources: Record<string, Record<string, object>> = {};
  for (const lng of LOCALES) {
    resources[lng] = {};
    const folder = path.join(dir, lng);
    for (const file of fs.readdirSync(folder).filter((f) => f.endsWith('.json'))) {
      resources[lng][file.replace(/\.json$/, '')] = JSON.parse(fs.readFileSync(path.join(folder, file), 'utf8'));
    }
  }
  return resources;
}

let instance: i18n | undefined;

export function getI18n(): i18n {
  instance ??= createI18n(loadResources());
  return instance;
}

// The app's i18next setup, for the given texts (tests build one with texts of their own).
export function createI18n(resources: Record<string, Record<string, object>>): i18n {
  const created = i18next.createInstance();
  // With initAsync: false and the resources given inline, init() has finished when it
  // returns; the promise it also returns carries nothing more.
  void created.init({
    initAsync: false,
    resources,
    lng: DEFAULT_LOCALE,
    fallbackLng: DEFAULT_LOCALE,
    supportedLngs: [...LOCALES],
    ns: Object.keys(resources[DEFAULT_LOCALE]),
    defaultNS: 'common',
    // EJS escapes on output (<%= %>); escaping here as well would double-escape.
    // server/i18n/templates.ts relies on this and on the default {{ }} delimiters.
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  return created;
}

// One translator per language for the life of the process. The locale files never
// change at run time, so a key asked for without options (most of a page's text) is
// looked up in i18next once and then served from a map, and a key asked for with plain
// values (t('listings:show.title', { rooms, size, district }), plurals by count) has its
// text chosen by i18next once per plural form and the values put in by
// fastTranslate() (./templates.ts). Other calls (returnObjects, context, defaultValue …)
// go to i18next.
const translators = new Map<Locale, TFunction>();

export function translator(locale: Locale): TFunction {
  let t = translators.get(locale);
  if (!t) {
    const fixed = getI18n().getFixedT(locale);
    const slow = fixed as unknown as (...a: unknown[]) => unknown;
    const withValues = fastTranslate(getI18n(), locale, fixed);
    const plain = new Map<string, unknown>();
    t = ((key: unknown, ...rest: unknown[]) => {
      if (typeof key !== 'string') return slow(key, ...rest);
      if (rest.length > 0) return rest.length === 1 && fastOptions(rest[0]) ? withValues(key, rest[0]) : slow(key, ...rest);
      // A field error with its values (validation/index.ts fieldError): "key|{json}".
      const bar = key.indexOf('|{');
      if (bar > 0) return withParams(key.slice(0, bar), key.slice(bar + 1));
      let text = plain.get(key);
      if (text === undefined) {
        text = fixed(key);
        plain.set(key, text);
      }
      return text;
    }) as unknown as TFunction;
    const withParams = (key: string, json: string): unknown => {
      let params: unknown = {};
      try {
        params = JSON.parse(json);
      } catch {
        // an unreadable parameter list still shows the message itself
      }
      return fastOptions(params) ? withValues(key, params) : slow(key, params);
    };
    translators.set(locale, t);
  }
  return t;
}

// Picks the best supported language from an Accept-Language header.
export function fromAcceptLanguage(header: string | undefined): Locale | undefined {
  if (!header) return undefined;
  const ranked = header
    .split(',')
    .map((part) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { tag: tag.toLowerCase(), q: q ? Number(q.slice(2)) || 0 : 1 };
    })
    .filter((x) => x.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { tag } of ranked) {
    const base = tag.split('-')[0];
    if (isLocale(base)) return base;
  }
  return undefined;
}

export interface Formatters {
  date(d: Date | string | null | undefined): string;
  dateTime(d: Date | string | null | undefined): string;
  number(n: number): string;
  eur(n: number): string;
  m2(n: number): string;
}

// Building Intl formatters is costly (tens of microseconds each); they are immutable, so
// each language's set is built once and shared by every request.
const formatterSets = new Map<Locale, Formatters>();

export function formatters(locale: Locale): Formatters {
  let set = formatterSets.get(locale);
  if (!set) {
    set = buildFormatters(locale);
    formatterSets.set(locale, set);
  }
  return set;
}

function buildFormatters(locale: Locale): Formatters {
  const tag = INTL_LOCALE[locale];
  const dateFmt = new Intl.DateTimeFormat(tag, { dateStyle: 'medium', timeZone: TIME_ZONE });
  const dateTimeFmt = new Intl.DateTimeFormat(tag, { dateStyle: 'medium', timeStyle: 'short', timeZone: TIME_ZONE });
  const numFmt = new Intl.NumberFormat(tag);
  const eurFmt = new Intl.NumberFormat(tag, { style: 'currency', currency: 'EUR', maximumFractionDigits: 0 });
  const toDate = (d: Date | string) => (d instanceof Date ? d : new Date(d));
  return {
    date: (d) => (d ? dateFmt.format(toDate(d)) : ''),
    dateTime: (d) => (d ? dateTimeFmt.format(toDate(d)) : ''),
    number: (n) => numFmt.format(n),
    eur: (n) => eurFmt.format(n),
    m2: (n) => `${numFmt.format(n)} m²`,
  };
}
