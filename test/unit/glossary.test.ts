import { expect } from 'chai';
import { loadResources } from '../../server/i18n';
import { LOCALES_DIR } from '../../server/paths';

// docs/glossary.md: one word per idea and language. These are the words it rules out.
const NOT: Record<'sv' | 'fi' | 'en', RegExp[]> = {
  sv: [/(?<!\p{L})ägar(e|en|ens|na)(?!\p{L})/iu, /passform/i],
  fi: [
    /(?<!\p{L})asuk(as|kaa|kaan|kaalle|kaat|kaiden|kaille|kaita)(?!\p{L})/iu,
    /käyttäjänim/i,
    /(?<!\p{L})omistaj/iu,
    /(?<!\p{L})ilmoittaja/iu,
    /^Oltava$/,
  ],
  en: [/\bowners?\b/i, /\bfit \{\{score\}\} %/],
};

function strings(tree: object, prefix = ''): [string, string][] {
  return Object.entries(tree).flatMap(([k, v]) =>
    v && typeof v === 'object' ? strings(v as object, `${prefix}${k}.`) : [[`${prefix}${k}`, String(v)] as [string, string]],
  );
}

describe('the glossary', () => {
  const resources = loadResources(LOCALES_DIR);
  for (const lng of ['sv', 'fi', 'en'] as const) {
    it(`is followed by every ${lng} text`, () => {
      const offenders: string[] = [];
      for (const [ns, tree] of Object.entries(resources[lng])) {
        for (const [key, text] of strings(tree)) {
          if (NOT[lng].some((re) => re.test(text))) offenders.push(`${ns}:${key}: ${text}`);
        }
      }
      expect(offenders).to.deep.equal([]);
    });
  }
});
