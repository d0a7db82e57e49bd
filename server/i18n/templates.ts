// A message with values, t(key, { rooms, size, district }), rendered without i18next on
// every call. A list page asks for a few hundred such messages, and i18next's path for
// one (copying the options, parsing the key, choosing the plural form, two passes of
// regular expressions and a nesting pass) cost 7–14 % of the server's CPU under a crowd.
// Here i18next still chooses the text (once per key and plural form, with
// skipInterpolation), and only the `{{name}}` substitution is done here. Anything this
// does not reproduce exactly goes to i18next: see fastOptions() for the calls and
// compile() for the texts. test/unit/i18n-templates.test.ts checks every key of every
// language against i18next.

import type { i18n, TFunction } from 'i18next';

type Values = Record<string, string | number | boolean>;

/** A text split around its placeholders: parts[0] names[0] parts[1] names[1] … parts[n]. */
export interface Template {
  parts: string[];
  names: string[];
}

// i18next's own option names (translate(), resolve(), the interpolator, getFixedT()).
// A call carrying any of them is looked up or rendered differently, so it goes to
// i18next. `count` is not here: it is a value and chooses the plural form, both handled.
const I18NEXT_OPTIONS = new Set([
  'appendNamespaceToCIMode',
  'applyPostProcessor',
  'context',
  'fallbackLng',
  'formatParams',
  'interpolation',
  'interpolationkey',
  'joinArrays',
  'keyPrefix',
  'keySeparator',
  'lng',
  'lngs',
  'missingInterpolationHandler',
  'missingKeyNoValueFallbackToKey',
  'nest',
  'ns',
  'nsSeparator',
  'ordinal',
  'postProcess',
  'replace',
  'returnDetails',
  'returnObjects',
  'skipInterpolation',
  'tDescription',
]);

/**
 * The options of a call the fast path can render: a plain object of strings, numbers and
 * booleans with none of i18next's option names, and `count` (if any) a number or a
 * string (a string count is only a value to i18next; a boolean one would pick a plural).
 */
export function fastOptions(options: unknown): options is Values {
  if (options === null || typeof options !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(options);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const name in options) {
    if (I18NEXT_OPTIONS.has(name) || name.startsWith('defaultValue')) return false;
    const type = typeof (options as Values)[name];
    if (type !== 'string' && type !== 'number' && (type !== 'boolean' || name === 'count')) return false;
  }
  return true;
}

// What i18next's interpolator matches (interpolation.prefix/suffix at their defaults,
// which server/i18n/index.ts keeps): `{{-name}}` first (unescaped), then `{{name}}`.
const UNESCAPED = /\{\{-(.+?)\}\}/;
const PLACEHOLDER = /\{\{(.+?)\}\}/g;
const NAME = /^[A-Za-z_$][\w$]*$/;

/**
 * Splits a raw text into a Template, or null when i18next would do more than put values
 * into `{{name}}`: nesting ($t(…)), formats ({{x, number}}), unescaped values ({{- x}}),
 * paths into objects ({{a.b}}), or anything else in the braces.
 */
export function compile(raw: string): Template | null {
  if (raw.includes('$t(') || UNESCAPED.test(raw)) return null;
  const parts: string[] = [];
  const names: string[] = [];
  let last = 0;
  for (const m of raw.matchAll(PLACEHOLDER)) {
    // i18next trims what is inside the braces before looking the value up.
    const name = m[1].trim();
    if (!NAME.test(name)) return null;
    parts.push(raw.slice(last, m.index));
    names.push(name);
    last = m.index + m[0].length;
  }
  parts.push(raw.slice(last));
  return names.length < 1000 ? { parts, names } : null; // i18next stops at maxReplaces (1000)
}

/**
 * The text with the values put in, or undefined when a placeholder has no value in
 * `values` (i18next then leaves `{{name}}` as it is, or takes the value from its own
 * options, such as lng; that call goes to i18next).
 */
export function render(template: Template, values: Values): string | undefined {
  const { parts, names } = template;
  let out = parts[0];
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    // Own and enumerable: what i18next sees in its copy of the options.
    if (!Object.prototype.propertyIsEnumerable.call(values, name)) return undefined;
    const value = values[name];
    out += (typeof value === 'string' ? value : String(value)) + parts[i + 1];
  }
  return out;
}

/**
 * A function (key, values) => text for one language, with i18next's getFixedT(locale) as
 * the reference and the fallback. Templates are kept per key and plural form; a key whose
 * text cannot be rendered here is remembered as such and always goes to i18next.
 */
export function fastTranslate(i18next: i18n, locale: string, fixed: TFunction): (key: string, values: Values) => string {
  const slow = fixed as unknown as (key: string, values: object) => string;
  // The languages i18next looks in, in order (this one, then the fallback): the plural
  // form is chosen in each, so the cache key holds the category of each.
  const codes = i18next.services.languageUtils.toResolveHierarchy(locale) as string[];
  const rules = codes.map((code) => new Intl.PluralRules(code, { type: 'cardinal' }));
  const cache = new Map<string, Map<string, Template | null>>();
  // Typed loosely: i18next's types want a numeric count, but a string one is valid (a value, no plural).
  const exists = i18next.exists.bind(i18next) as (key: string, options: object) => boolean;

  const formOf = (count: number): string => {
    let form = count === 0 ? 'zero' : ''; // 0 looks for key_zero first, whatever the language
    for (const rule of rules) form += `/${rule.select(count)}`;
    return form;
  };
  // Intl's select() is the costly part of a plural call; counts are mostly small whole
  // numbers, so their forms are kept.
  const smallForms: string[] = [];
  const pluralForm = (count: number): string =>
    Number.isInteger(count) && count >= 0 && count < 1000 ? (smallForms[count] ??= formOf(count)) : formOf(count);

  const load = (key: string, count: string | number | undefined): Template | null | undefined => {
    const lookup = count === undefined ? {} : { count };
    // A missing key is not remembered (the key may come from outside); i18next answers it.
    if (!exists(key, { lng: locale, returnObjects: false, ...lookup })) return undefined;
    const raw: unknown = slow(key, { ...lookup, skipInterpolation: true });
    return typeof raw === 'string' ? compile(raw) : null;
  };

  return (key, values) => {
    const count = values.count as string | number | undefined;
    const form = typeof count === 'number' ? pluralForm(count) : '';
    let forms = cache.get(key);
    let template = forms?.get(form);
    if (template === undefined) {
      template = load(key, count);
      if (template === undefined) return slow(key, values);
      if (!forms) cache.set(key, (forms = new Map()));
      forms.set(form, template);
    }
    if (template === null) return slow(key, values);
    return render(template, values) ?? slow(key, values);
  };
}
