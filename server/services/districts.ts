import fs from 'node:fs';
import path from 'node:path';
import type { Locale } from '../i18n';
import { MODEL_DATA_DIR } from '../paths';

// Helsinki's districts, shipped with the app in models/data/districts.json: a code (an
// ASCII slug of the Finnish name, stored in listings), the Finnish and Swedish names and
// the postal codes that cover the district. Used for the select lists, for validation
// and for showing a district's name in the page's language.

export interface District {
  code: string;
  fi: string;
  sv: string;
  postalCodes: string[];
  /** The city's major district (suurpiiri / stordistrikt) it belongs to, for grouping long lists. */
  major: string;
}

/** Helsinki's major districts, south to east, as the lists group them. */
export const MAJOR_DISTRICTS = [
  'etelainen',
  'lantinen',
  'keskinen',
  'pohjoinen',
  'koillinen',
  'kaakkoinen',
  'itainen',
  'ostersundom',
] as const;

/** A "the whole area" checkbox sends this value in place of a district code. */
export const AREA_PREFIX = 'area:';

function load(): District[] {
  const raw = JSON.parse(fs.readFileSync(path.join(MODEL_DATA_DIR, 'districts.json'), 'utf8')) as District[];
  return raw.map((d) => Object.freeze({ ...d, postalCodes: Object.freeze([...d.postalCodes]) as string[] }));
}

export const DISTRICTS: readonly District[] = Object.freeze(load());
const BY_CODE = new Map(DISTRICTS.map((d) => [d.code, d]));

export function isDistrictCode(code: unknown): code is string {
  return typeof code === 'string' && BY_CODE.has(code);
}

export function findDistrict(code: string): District | undefined {
  return BY_CODE.get(code);
}

/**
 * The district's name for a page in `locale`: Finnish on Finnish pages, Swedish on
 * Swedish pages, and on English pages the Finnish name with the Swedish in brackets.
 * An unknown code (a district dropped from the list) is shown as it is stored.
 */
export function districtName(code: string, locale: Locale): string {
  const d = BY_CODE.get(code);
  if (!d) return code;
  if (locale === 'fi') return d.fi;
  if (locale === 'sv') return d.sv;
  return d.fi === d.sv ? d.fi : `${d.fi} (${d.sv})`;
}

const COLLATORS = new Map<Locale, Intl.Collator>();
/** A cached collator for sorting names in the page's language (English pages use the Finnish order). */
export function collatorFor(locale: Locale): Intl.Collator {
  let c = COLLATORS.get(locale);
  if (!c) {
    c = new Intl.Collator(locale === 'en' ? 'fi' : locale);
    COLLATORS.set(locale, c);
  }
  return c;
}

const OPTIONS = new Map<Locale, readonly { code: string; name: string }[]>();
/** Every district as { code, name } sorted by its name in the page's language (computed once per language). */
export function districtOptions(locale: Locale): readonly { code: string; name: string }[] {
  let options = OPTIONS.get(locale);
  if (!options) {
    const collator = collatorFor(locale);
    options = Object.freeze(
      DISTRICTS.map((d) => Object.freeze({ code: d.code, name: districtName(d.code, locale) })).sort((a, b) =>
        collator.compare(a.name, b.name),
      ),
    );
    OPTIONS.set(locale, options);
  }
  return options;
}

const GROUPS = new Map<Locale, readonly { major: string; districts: readonly { code: string; name: string }[] }[]>();
/** The districts grouped by major district (in the order above), each group sorted by name. */
export function districtGroups(
  locale: Locale,
): readonly { major: string; districts: readonly { code: string; name: string }[] }[] {
  let groups = GROUPS.get(locale);
  if (!groups) {
    const options = districtOptions(locale);
    groups = Object.freeze(
      MAJOR_DISTRICTS.map((major) =>
        Object.freeze({
          major,
          districts: options.filter((o) => BY_CODE.get(o.code)!.major === major),
        }),
      ),
    );
    GROUPS.set(locale, groups);
  }
  return groups;
}

/**
 * District codes from a list that may hold "area:<major>" values: each area becomes all
 * its districts. Unknown areas and codes are kept as they are (the caller rejects them).
 */
export function expandAreas(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    if (v.startsWith(AREA_PREFIX)) {
      const major = v.slice(AREA_PREFIX.length);
      if ((MAJOR_DISTRICTS as readonly string[]).includes(major)) {
        for (const d of DISTRICTS) if (d.major === major) out.push(d.code);
        continue;
      }
    }
    out.push(v);
  }
  return [...new Set(out)];
}
