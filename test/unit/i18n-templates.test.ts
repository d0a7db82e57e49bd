import { expect } from 'chai';
import type { TFunction } from 'i18next';
import { createI18n, getI18n, LOCALES, loadResources, translator } from '../../server/i18n';
import { compile, fastOptions, fastTranslate } from '../../server/i18n/templates';

// The translator renders messages with values itself (server/i18n/templates.ts); every
// page's text depends on it giving exactly what i18next gives. i18next's own getFixedT is
// the reference throughout.

type Call = (key: string, options?: object) => unknown;

const PLURAL_SUFFIX = /_(zero|one|two|few|many|other)$/;

function leaves(obj: object, prefix = ''): [string, unknown][] {
  return Object.entries(obj).flatMap(([k, v]): [string, unknown][] =>
    v && typeof v === 'object' ? leaves(v as object, `${prefix}${k}.`) : [[`${prefix}${k}`, v]],
  );
}

// Every key as a page asks for it: each text's own key, and a plural's base key
// (search.count for search.count_one and search.count_other), with the placeholder
// names found in any language's text of it.
function allKeys(): Map<string, Set<string>> {
  const resources = loadResources();
  const keys = new Map<string, Set<string>>();
  for (const lng of LOCALES) {
    for (const [ns, tree] of Object.entries(resources[lng])) {
      for (const [path, text] of leaves(tree)) {
        const names = [...String(text).matchAll(/\{\{(.+?)\}\}/g)].map((m) => m[1].trim());
        for (const key of new Set([`${ns}:${path}`, `${ns}:${path.replace(PLURAL_SUFFIX, '')}`])) {
          if (!keys.has(key)) keys.set(key, new Set());
          for (const n of names) keys.get(key)!.add(n);
        }
      }
    }
  }
  return keys;
}

const STRINGS = [
  `<script>alert("x")</script> & 'quoted'`,
  'Söderström & Åkerlund <b>',
  '',
  '{{rooms}} $t(common:site_name) {{- size}}', // a value is put in as it is, never read again
  '100%',
  ' padded\n',
];
const NUMBERS = [0, 1, 2, 5, 21, 1.5, -3, 1234567.25];
const COUNTS: (number | string | undefined)[] = [undefined, 0, 1, 2, 5, 21, 1.5, '3', '1'];

// The values each placeholder gets: every string, every number and a boolean for all of
// them at once, and a mix where each has a different kind of value.
function valueSets(names: string[]): Record<string, string | number | boolean>[] {
  const same = [...STRINGS, ...NUMBERS, true].map((v) => Object.fromEntries(names.map((n) => [n, v])));
  const mixed = Object.fromEntries(names.map((n, i) => [n, [STRINGS[0], 21, STRINGS[1], 1.5][i % 4]]));
  return names.length > 0 ? [...same, mixed] : [{}, { unused: STRINGS[0] }];
}

describe('translations with values (the fast path)', function () {
  this.timeout(120000);
  const keys = allKeys();

  for (const lng of LOCALES) {
    it(`gives exactly what i18next gives for every ${lng} key, count and value`, () => {
      const reference = getI18n().getFixedT(lng) as unknown as Call;
      const t = translator(lng) as unknown as Call;
      let calls = 0;
      const differ: string[] = [];
      for (const [key, nameSet] of keys) {
        const names = [...nameSet].filter((n) => n !== 'count');
        for (const count of COUNTS) {
          for (const values of valueSets(names)) {
            const options = count === undefined ? values : { ...values, count };
            // The first call of a key and plural form fills the cache; the others are served from it.
            const got = t(key, options);
            const want = reference(key, options);
            calls++;
            if (got !== want && differ.length < 20)
              differ.push(`${key} ${JSON.stringify(options)}: ${String(got)} ≠ ${String(want)}`);
          }
        }
      }
      expect(differ).to.deep.equal([]);
      expect(calls).to.be.greaterThan(10000);
    });
  }

  it('renders every key of the locale files without i18next once its text is known', () => {
    const i18n = getI18n();
    for (const lng of LOCALES) {
      const fixed = i18n.getFixedT(lng);
      const renders: string[] = [];
      const spy = ((key: string, options: { skipInterpolation?: boolean }) => {
        if (!options?.skipInterpolation) renders.push(key);
        return (fixed as unknown as Call)(key, options);
      }) as unknown as TFunction;
      const t = fastTranslate(i18n, lng, spy);
      for (const [key, nameSet] of keys) {
        const values = Object.fromEntries([...nameSet].map((n) => [n, 'x']));
        for (const count of [0, 1, 2, 1.5]) {
          const exists = i18n.exists(key, { lng, count, returnObjects: false } as Parameters<typeof i18n.exists>[1]);
          const before = renders.length;
          t(key, { ...values, count });
          if (exists) expect(renders.slice(before), `${lng} ${key} count ${count}`).to.deep.equal([]);
        }
      }
    }
  });
});

describe('translations with values: what goes to i18next', () => {
  // A small set of texts with everything the fast path must leave to i18next.
  const texts = {
    common: {
      hello: 'Hej {{name}}!',
      spaced: 'Hej {{ name }}!',
      nested: 'Välkommen till $t(common:site)',
      site: 'Bostadsbytesbörsen',
      formatted: 'Pris {{price, number}}',
      unescaped: 'Hej {{- name}}!',
      dotted: 'Hej {{user.name}}!',
      language: 'Språk: {{lng}}',
      odd: 'Hej {{{name}}}!',
      item_zero: 'Inga bostäder',
      item_one: 'En bostad',
      item_other: '{{count}} bostäder',
      rooms_one: 'ett rum',
      rooms_other: '{{count}} rum',
      friend: 'En vän',
      friend_male: 'En vän ({{name}})',
      list: { a: 'A', b: 'B' },
    },
  };
  const i18n = createI18n({ sv: texts, fi: texts, en: texts });
  const reference = i18n.getFixedT('sv') as unknown as Call;
  const renders: string[] = [];
  const spy = ((key: string, options?: { skipInterpolation?: boolean }) => {
    if (!options?.skipInterpolation) renders.push(key);
    return reference(key, options);
  }) as unknown as TFunction;
  const t = fastTranslate(i18n, 'sv', spy);

  const check = (key: string, options: Record<string, string | number | boolean>, byI18next: boolean) => {
    renders.length = 0;
    for (let i = 0; i < 2; i++) expect(t(key, options), `${key} ${JSON.stringify(options)}`).to.equal(reference(key, options));
    expect(renders.length > 0, `${key} went to i18next`).to.equal(byI18next);
  };

  it('renders plain placeholders, spaces inside the braces included, itself', () => {
    check('common:hello', { name: '<Åsa & "Bo">' }, false);
    check('common:spaced', { name: 'Åsa' }, false);
    check('common:hello', { name: 3, other: true }, false);
  });

  it('keeps the plural forms apart, 0 with its own _zero text', () => {
    check('common:item', { count: 0 }, false);
    check('common:item', { count: 1 }, false);
    check('common:item', { count: 2 }, false);
    check('common:item', { count: 1.5 }, false);
    // A string count is only a value: no plural form is looked up (item has none of its own).
    check('common:item', { count: '1' }, true);
    check('common:hello', { name: 'x', count: '1' }, false);
    check('common:rooms', { count: 0 }, false); // no _zero text: the other form
    expect(t('common:item', { count: 0 })).to.equal('Inga bostäder');
    expect(t('common:item', { count: 1 })).to.equal('En bostad');
    expect(t('common:item', { count: 21 })).to.equal('21 bostäder');
    expect(t('common:rooms', { count: 0 })).to.equal('0 rum');
  });

  it('leaves nesting, formats, unescaped values, paths and odd braces to i18next', () => {
    check('common:nested', { name: 'x' }, true);
    check('common:formatted', { price: 1200 }, true);
    check('common:unescaped', { name: '<b>' }, true);
    check('common:dotted', { name: 'x' }, true);
    check('common:odd', { name: 'x' }, true);
  });

  it('leaves a call to i18next when a placeholder has no value', () => {
    check('common:hello', {}, true);
    check('common:hello', { nme: 'typo' }, true);
    check('common:language', {}, true); // i18next fills {{lng}} from its own options
    expect(t('common:hello', {})).to.equal('Hej {{name}}!');
  });

  it('leaves missing keys to i18next', () => {
    check('common:no_such_key', { name: 'x' }, true);
    check('common:list', { name: 'x' }, true);
  });

  it('takes only plain values without i18next option names', () => {
    expect(fastOptions({ rooms: 2, size: '45 m²', lift: true })).to.equal(true);
    expect(fastOptions({})).to.equal(true);
    expect(fastOptions({ count: 2 })).to.equal(true);
    expect(fastOptions({ count: '2' })).to.equal(true);
    for (const options of [
      { count: true },
      { defaultValue: 'x' },
      { defaultValue_one: 'x' },
      { context: 'male' },
      { lng: 'en' },
      { ns: 'common' },
      { returnObjects: true },
      { ordinal: true, count: 2 },
      { replace: { name: 'x' } },
      { interpolation: { escapeValue: true } },
      { skipInterpolation: true },
      { postProcess: 'x' },
      { keySeparator: false },
      { name: { first: 'x' } },
      { name: null },
      { name: undefined },
      { name: () => 'x' },
      new Date(),
      ['x'],
      null,
      'default text',
    ]) {
      expect(fastOptions(options), JSON.stringify(options)).to.equal(false);
    }
  });

  it('gives i18next the calls with options of its own, through the app translator too', () => {
    const app = translator('fi') as unknown as Call;
    const ref = getI18n().getFixedT('fi') as unknown as Call;
    const cases: [string, object][] = [
      ['common:nav.account', { username: 'Åsa', lng: 'en' }],
      ['listings:search.count', { count: 2, ordinal: true }],
      ['common:no_such_key', { defaultValue: 'Oletus {{x}}', x: '<1>' }],
      ['listings:show.title', { replace: { rooms: 2, size: '40 m²', district: 'Kallio' } }],
      ['listings:show.title', { rooms: 2, size: '40 m²', district: 'Kallio', context: 'x' }],
      ['listings:show.title', { rooms: 2 }],
    ];
    for (const [key, options] of cases)
      expect(app(key, options), `${key} ${JSON.stringify(options)}`).to.equal(ref(key, options));
    expect(app('common:nav.account', { username: 'Åsa', lng: 'en' })).to.equal(
      ref('common:nav.account', { username: 'Åsa', lng: 'en' }),
    );
    // A field error's values come as "key|{json}" and take the same path.
    expect(app('listings:show.title|{"rooms":2,"size":"40 m²","district":"Kallio"}')).to.equal(
      ref('listings:show.title', { rooms: 2, size: '40 m²', district: 'Kallio' }),
    );
  });

  it('splits texts into parts and names, or refuses', () => {
    expect(compile('a {{x}} b {{ y }}{{x}}')).to.deep.equal({ parts: ['a ', ' b ', '', ''], names: ['x', 'y', 'x'] });
    expect(compile('no placeholders')).to.deep.equal({ parts: ['no placeholders'], names: [] });
    for (const raw of ['$t(a:b)', '{{x, number}}', '{{- x}}', '{{a.b}}', '{{{x}}}', '{{ }}']) {
      expect(compile(raw), raw).to.equal(null);
    }
  });
});
