import { z } from 'zod';
import type { Locale } from '../i18n';
import { districtName, expandAreas, findDistrict, isDistrictCode } from '../services/districts';
import type { ListingInput, SearchFilters, SearchSort } from '../services/listings';
import { BUILDING_TYPES, LISTING_REPORT_REASONS, type BuildingType } from '../types/constants';
import { fieldError, hasBadCharacters, isTicked, parseForm, type ParseResult } from './index';
import { readWholeNumber } from './number';

// The listing form and the search query string. Form errors are i18n keys shown next
// to the field; the search query never fails: whatever cannot be read is ignored, so a
// hand-edited or bot-made URL still gets a normal page.

export const LIMITS = {
  rooms: { min: 1, max: 8 },
  size: { min: 10, max: 300 },
  rent: { min: 1, max: 10_000 },
  floor: { min: -3, max: 99 },
  text: 2000,
} as const;

/** What a browser sends, trimmed; anything but a string (an array, nothing) counts as empty. */
const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
/** Line breaks count once however the browser sends them (textareas send CRLF). */
const multiline = (v: unknown) => (typeof v === 'string' ? v.replace(/\r\n?/g, '\n').trim() : '');
const length = (s: string) => [...s].length;

/**
 * A number field: read by the shared reader (spaces, "€", "m²", a decimal comma), so
 * "1 200 €" is 1200. `required` is the message naming the field when it is left empty.
 */
function integer(
  min: number,
  max: number,
  message: string,
  opts: { required?: string; decimals?: 'nearest' | 'up' | 'down' } = {},
) {
  return z.unknown().transform((v, ctx): number | null => {
    const r = readWholeNumber(v, min, max, { decimals: opts.decimals });
    if (r.state === 'empty') {
      if (opts.required) ctx.addIssue({ code: z.ZodIssueCode.custom, message: opts.required });
      return null;
    }
    if (r.state === 'invalid') {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message });
      return null;
    }
    return r.value;
  });
}

function freeText(message: string) {
  return z.unknown().transform((v, ctx) => {
    const s = multiline(v);
    if (hasBadCharacters(s)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'errors:field.control_chars' });
    else if (length(s) > LIMITS.text) ctx.addIssue({ code: z.ZodIssueCode.custom, message });
    return s;
  });
}

const tick = z.unknown().transform(isTicked);

const listingSchema = z.object({
  district: z.unknown().transform((v, ctx) => {
    const s = str(v);
    if (s === '') ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'listings:errors.district' });
    else if (!isDistrictCode(s)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'listings:errors.district' });
    return s;
  }),
  postal_code: z.unknown().transform((v, ctx) => {
    const s = str(v);
    if (!/^\d{5}$/.test(s)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'listings:errors.postal_code' });
    return s;
  }),
  rooms: integer(LIMITS.rooms.min, LIMITS.rooms.max, 'listings:errors.rooms', { required: 'listings:errors.rooms_required' }),
  size_m2: integer(LIMITS.size.min, LIMITS.size.max, 'listings:errors.size_m2', {
    required: 'listings:errors.size_m2_required',
    decimals: 'nearest',
  }),
  rent_eur: integer(LIMITS.rent.min, LIMITS.rent.max, 'listings:errors.rent_eur', {
    required: 'listings:errors.rent_eur_required',
    decimals: 'nearest',
  }),
  floor: integer(LIMITS.floor.min, LIMITS.floor.max, 'listings:errors.floor'),
  has_lift: tick,
  has_balcony: tick,
  has_sauna: tick,
  building_type: z.unknown().transform((v, ctx): BuildingType | null => {
    const s = str(v);
    if (s === '') return null;
    if (!(BUILDING_TYPES as readonly string[]).includes(s)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'errors:field.invalid_choice' });
      return null;
    }
    return s as BuildingType;
  }),
  available_from: z.unknown().transform((v, ctx): string | null => {
    const s = str(v);
    if (s === '') return null;
    const iso = readDate(s);
    if (!iso) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'listings:errors.available_from' });
    return iso;
  }),
  description: freeText('listings:errors.description'),
  wanted_districts: z.unknown().transform((v, ctx) => {
    const list = (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string' && x !== '');
    // A ticked "whole area" box stands for every district in it.
    const codes = expandAreas(list.map((x) => x.trim()));
    if (codes.length === 0 || !codes.every(isDistrictCode)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'listings:errors.wanted_districts' });
    }
    return codes.filter(isDistrictCode);
  }),
  wanted_rooms_min: integer(LIMITS.rooms.min, LIMITS.rooms.max, 'listings:errors.wanted_rooms_min'),
  wanted_size_min: integer(LIMITS.size.min, LIMITS.size.max, 'listings:errors.wanted_size_min', { decimals: 'up' }),
  wanted_rent_max: integer(LIMITS.rent.min, LIMITS.rent.max, 'listings:errors.wanted_rent_max', { decimals: 'down' }),
  wanted_lift: tick,
  wanted_balcony: tick,
  wanted_sauna: tick,
  wanted_description: freeText('listings:errors.wanted_description'),
});

/**
 * A date as Finns and Swedes write it (1.3.2027, 01.03.2027) or as a date picker sends
 * it (2027-03-01); returned as YYYY-MM-DD, or null when it is no real day.
 */
export function readDate(s: string): string | null {
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(s);
  const local = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(s);
  const [y, m, d] = iso ? [iso[1], iso[2], iso[3]] : local ? [local[3], local[2], local[1]] : [];
  if (!y || !m || !d) return null;
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  const out = `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`;
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== out || Number(y) < 2000 || Number(y) > 2100)
    return null;
  return out;
}

// The postal code must be one of the district's own (a Tampere code or a neighbour's
// code is a typo or the wrong district), and the message names both.
const listingFormSchema = (locale: Locale) =>
  listingSchema.superRefine((d, ctx) => {
    const district = isDistrictCode(d.district) ? findDistrict(d.district) : undefined;
    if (!district || !/^\d{5}$/.test(d.postal_code) || district.postalCodes.includes(d.postal_code)) return;
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path: ['postal_code'],
      message: fieldError('listings:errors.postal_code_district', {
        code: d.postal_code,
        district: districtName(district.code, locale),
        codes: district.postalCodes.join(', '),
      }),
    });
  });

/** Reads the listing form (its field names: docs/product.md, "Names that stay stable") into what the service stores. */
export function parseListingForm(body: unknown, locale: Locale = 'sv'): ParseResult<ListingInput> {
  const parsed = parseForm(listingFormSchema(locale), body);
  if (!parsed.ok) return parsed;
  const d = parsed.data;
  return {
    ok: true,
    data: {
      district: d.district,
      postalCode: d.postal_code,
      rooms: d.rooms!,
      sizeM2: d.size_m2!,
      rentEur: d.rent_eur!,
      floor: d.floor,
      hasLift: d.has_lift,
      hasBalcony: d.has_balcony,
      hasSauna: d.has_sauna,
      buildingType: d.building_type,
      availableFrom: d.available_from,
      description: d.description,
      wantedDistricts: d.wanted_districts,
      wantedRoomsMin: d.wanted_rooms_min,
      wantedSizeMin: d.wanted_size_min,
      wantedRentMax: d.wanted_rent_max,
      wantedLift: d.wanted_lift,
      wantedBalcony: d.wanted_balcony,
      wantedSauna: d.wanted_sauna,
      wantedDescription: d.wanted_description,
    },
  };
}

export const LISTING_CHECKBOXES = [
  'has_lift',
  'has_balcony',
  'has_sauna',
  'wanted_lift',
  'wanted_balcony',
  'wanted_sauna',
] as const;
const LISTING_TEXT_FIELDS = [
  'district',
  'postal_code',
  'rooms',
  'size_m2',
  'rent_eur',
  'floor',
  'building_type',
  'available_from',
  'description',
  'wanted_rooms_min',
  'wanted_size_min',
  'wanted_rent_max',
  'wanted_description',
] as const;

export interface ListingFormValues {
  text: Record<string, string>;
  checked: Record<string, boolean>;
  wantedDistricts: string[];
}

/** The submitted form as the page shows it again after an error: every input kept. */
export function listingFormValues(body: unknown): ListingFormValues {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const text: Record<string, string> = {};
  for (const k of LISTING_TEXT_FIELDS) text[k] = typeof b[k] === 'string' ? (b[k] as string) : '';
  const checked: Record<string, boolean> = {};
  for (const k of LISTING_CHECKBOXES) checked[k] = isTicked(b[k]);
  const raw = b.wanted_districts;
  const typed = (Array.isArray(raw) ? raw : [raw]).filter((x): x is string => typeof x === 'string');
  // The ticked "whole area" boxes stay ticked, and the districts they stand for show as ticked.
  const wantedDistricts = [...new Set([...typed, ...expandAreas(typed)])];
  return { text, checked, wantedDistricts };
}

const reportSchema = z.object({
  reason: z.unknown().transform((v, ctx) => {
    const s = str(v);
    if (!(LISTING_REPORT_REASONS as readonly string[]).includes(s)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'listings:errors.report_reason' });
    }
    return s as (typeof LISTING_REPORT_REASONS)[number];
  }),
  details: freeText('listings:errors.report_details'),
});

export function parseReportForm(body: unknown) {
  return parseForm(reportSchema, body);
}

const SORTS: readonly SearchSort[] = ['newest', 'rent', 'size'];
const MAX_PAGE = 100_000;

function queryInt(v: unknown, min: number, max: number): number | undefined {
  if (typeof v !== 'string' || !/^\d{1,6}$/.test(v.trim())) return undefined;
  const n = Number(v.trim());
  return n >= min && n <= max ? n : undefined;
}

// The typed search numbers, read like the listing form's ("1 200 €", "1200,50"). A
// maximum is rounded down and a minimum up, so no dearer or smaller flat slips in.
const SEARCH_NUMBERS = {
  size_min: { min: 1, max: 10_000, decimals: 'up', error: 'listings:search.errors.size_min' },
  rent_max: { min: 1, max: 1_000_000, decimals: 'down', error: 'listings:search.errors.rent_max' },
} as const;

function typedNumber(v: unknown, spec: (typeof SEARCH_NUMBERS)[keyof typeof SEARCH_NUMBERS]): number | undefined {
  const r = readWholeNumber(v, spec.min, spec.max, { decimals: spec.decimals });
  return r.state === 'ok' ? r.value : undefined;
}

/**
 * What the search form shows again: the numbers as they were typed, and an error next
 * to each one that could not be read (the search itself runs without it).
 */
export function searchFormState(query: unknown): { values: Record<string, string>; errors: Record<string, string> } {
  const q = (query && typeof query === 'object' ? query : {}) as Record<string, unknown>;
  const values: Record<string, string> = {};
  const errors: Record<string, string> = {};
  for (const [name, spec] of Object.entries(SEARCH_NUMBERS)) {
    const raw = typeof q[name] === 'string' ? (q[name] as string).slice(0, 40) : '';
    values[name] = raw;
    if (readWholeNumber(raw, spec.min, spec.max, { decimals: spec.decimals }).state === 'invalid') errors[name] = spec.error;
  }
  return { values, errors };
}

/**
 * The search query string (docs/product.md, "Names that stay stable": district (repeatable), rooms_min, rooms_max,
 * size_min, rent_max, lift, balcony, sauna, sort, page). Never throws: unknown districts,
 * numbers out of range, a strange sort or page are left out as if not given.
 */
export function parseSearchQuery(query: unknown): SearchFilters {
  const q = (query && typeof query === 'object' ? query : {}) as Record<string, unknown>;
  const raw = Array.isArray(q.district) ? q.district : [q.district];
  const districts = expandAreas(raw.filter((x): x is string => typeof x === 'string')).filter(isDistrictCode);
  const sort = SORTS.find((s) => s === q.sort) ?? 'newest';
  return {
    districts,
    roomsMin: queryInt(q.rooms_min, LIMITS.rooms.min, LIMITS.rooms.max),
    roomsMax: queryInt(q.rooms_max, LIMITS.rooms.min, LIMITS.rooms.max),
    sizeMin: typedNumber(q.size_min, SEARCH_NUMBERS.size_min),
    rentMax: typedNumber(q.rent_max, SEARCH_NUMBERS.rent_max),
    lift: isTicked(q.lift),
    balcony: isTicked(q.balcony),
    sauna: isTicked(q.sauna),
    sort,
    page: queryInt(q.page, 1, MAX_PAGE) ?? 1,
  };
}

/** The query string for the same search on another page (filters kept, defaults left out). */
export function searchQueryString(f: SearchFilters, page: number): string {
  const params = new URLSearchParams();
  for (const d of f.districts) params.append('district', d);
  if (f.roomsMin !== undefined) params.set('rooms_min', String(f.roomsMin));
  if (f.roomsMax !== undefined) params.set('rooms_max', String(f.roomsMax));
  if (f.sizeMin !== undefined) params.set('size_min', String(f.sizeMin));
  if (f.rentMax !== undefined) params.set('rent_max', String(f.rentMax));
  if (f.lift) params.set('lift', '1');
  if (f.balcony) params.set('balcony', '1');
  if (f.sauna) params.set('sauna', '1');
  if (f.sort !== 'newest') params.set('sort', f.sort);
  if (page > 1) params.set('page', String(page));
  const s = params.toString();
  return s ? `?${s}` : '';
}
