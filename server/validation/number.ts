// One reader for every number a tenant types: the search filters and the listing form.
// People type numbers the way the site prints them ("1 200 €", "48 m²") or the way they
// write them at home ("1200,50", "1.200"), and a phone keyboard may add a non-breaking
// space. All of those are read; what still is not a number is reported, never dropped.

/** Spaces of every kind browsers and Intl number formats put between digit groups. */
const SPACES = /[\s\u00a0\u2007\u202f\u2009]/g;
/** Units a tenant may type after the number (euros, square metres). */
const UNITS = /(€|e|eur|euro|euroa|euros|m²|m2|m\^2|neliötä|neliö|kvm|kvadratmeter)$/i;

export type NumberReading = { state: 'empty' } | { state: 'ok'; value: number } | { state: 'invalid' };

/**
 * Reads a typed number. A comma or point followed by exactly three digits groups
 * thousands ("1,200", "1.200"); followed by one or two digits it is a decimal mark
 * ("1200,50", "48.5"). Decimals are refused unless `decimals` is set; the minus sign may
 * be the typographic one (Finnish and Swedish formats print "−3").
 */
export function readNumber(raw: unknown, opts: { decimals?: boolean } = {}): NumberReading {
  if (typeof raw !== 'string') return { state: 'empty' };
  let s = raw.replace(SPACES, '').replace(/\u2212/g, '-');
  if (s === '') return { state: 'empty' };
  s = s.replace(UNITS, '');
  if (s.length > 20) return { state: 'invalid' };
  const m = /^(-?)(\d{1,3}(?:[.,]\d{3})+|\d+)(?:[.,](\d{1,2}))?$/.exec(s);
  if (!m) return { state: 'invalid' };
  if (m[3] !== undefined && !opts.decimals) return { state: 'invalid' };
  const whole = m[2].replace(/[.,]/g, '');
  const value = Number(`${m[1]}${whole}${m[3] !== undefined ? `.${m[3]}` : ''}`);
  return Number.isFinite(value) ? { state: 'ok', value } : { state: 'invalid' };
}

/**
 * A whole number within [min, max] from what was typed; decimals, when allowed, are
 * rounded the way the field needs ('nearest' for a stored amount, 'down' for a maximum,
 * 'up' for a minimum, so a filter never lets through what the tenant excluded).
 */
export function readWholeNumber(
  raw: unknown,
  min: number,
  max: number,
  opts: { decimals?: 'nearest' | 'down' | 'up' } = {},
): NumberReading {
  const r = readNumber(raw, { decimals: !!opts.decimals });
  if (r.state !== 'ok') return r;
  const round = opts.decimals === 'down' ? Math.floor : opts.decimals === 'up' ? Math.ceil : Math.round;
  const value = round(r.value);
  return value >= min && value <= max ? { state: 'ok', value } : { state: 'invalid' };
}
