import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { formatters, fromAcceptLanguage, LOCALES, loadResources } from '../../server/i18n';
import { LOCALES_DIR, VIEWS_DIR } from '../../server/paths';

function flatKeys(obj: object, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) =>
    v && typeof v === 'object' ? flatKeys(v as object, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

function listFiles(dir: string, ext: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? listFiles(path.join(dir, e.name), ext) : e.name.endsWith(ext) ? [path.join(dir, e.name)] : [],
    );
}

describe('translations', () => {
  const resources = loadResources(LOCALES_DIR);

  it('have the same namespaces and the same keys in Swedish, Finnish and English', () => {
    const namespaces = Object.keys(resources.sv).sort();
    for (const lng of LOCALES) expect(Object.keys(resources[lng]).sort(), lng).to.deep.equal(namespaces);
    for (const ns of namespaces) {
      const keys = flatKeys(resources.sv[ns]).sort();
      for (const lng of LOCALES) {
        expect(flatKeys(resources[lng][ns]).sort(), `${lng}/${ns}.json`).to.deep.equal(keys);
      }
    }
  });

  it('have no empty strings', () => {
    for (const lng of LOCALES) {
      for (const [ns, tree] of Object.entries(resources[lng])) {
        const walk = (o: object, p: string): void => {
          for (const [k, v] of Object.entries(o)) {
            if (v && typeof v === 'object') walk(v as object, `${p}${k}.`);
            else expect(String(v).trim(), `${lng}/${ns}:${p}${k}`).to.not.equal('');
          }
        };
        walk(tree, '');
      }
    }
  });

  it('cover every key the templates use', () => {
    const missing: string[] = [];
    for (const file of listFiles(VIEWS_DIR, '.ejs')) {
      const source = fs.readFileSync(file, 'utf8');
      for (const m of source.matchAll(/\bt\('([a-z-]+):([A-Za-z0-9_.-]+)'/g)) {
        const [, ns, key] = m;
        if (key.endsWith('.')) continue; // a key built at run time, e.g. 'common:language.' + l
        for (const lng of LOCALES) {
          const lookup = (k: string) =>
            k
              .split('.')
              .reduce<unknown>(
                (o, part) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[part] : undefined),
                resources[lng][ns],
              );
          // A count key is found as its plural forms (key_one, key_other), as i18next looks it up.
          const found = lookup(key) !== undefined || (lookup(`${key}_one`) !== undefined && lookup(`${key}_other`) !== undefined);
          if (!found) missing.push(`${path.relative(VIEWS_DIR, file)}: ${lng} ${ns}:${key}`);
        }
      }
    }
    expect(missing).to.deep.equal([]);
  });

  it('leave no hard-coded user-facing text in the templates', () => {
    const offenders: string[] = [];
    for (const file of listFiles(VIEWS_DIR, '.ejs')) {
      if (file.includes(`${path.sep}emails${path.sep}`)) continue; // plain text built from t() only, checked below
      const source = fs
        .readFileSync(file, 'utf8')
        .replace(/<%[#=_-]?[\s\S]*?[_-]?%>/g, ' ')
        .replace(/<(script|style)[\s\S]*?<\/\1>/g, ' ')
        .replace(/<!--[\s\S]*?-->/g, ' ')
        .replace(/<[^>]*>/g, ' ')
        .replace(/&[a-z]+;|&#\d+;/g, ' ');
      const words = source.match(/\p{L}{2,}/gu);
      if (words) offenders.push(`${path.relative(VIEWS_DIR, file)}: ${words.slice(0, 5).join(' ')}`);
    }
    expect(offenders).to.deep.equal([]);
  });

  it('leave no hard-coded words in the e-mail templates', () => {
    for (const file of listFiles(path.join(VIEWS_DIR, 'emails'), '.ejs')) {
      const text = fs.readFileSync(file, 'utf8').replace(/<%[#=_-]?[\s\S]*?[_-]?%>/g, ' ');
      expect(text.match(/\p{L}{2,}/gu), path.basename(file)).to.equal(null);
    }
  });
});

describe('language negotiation and formats', () => {
  it('picks the best supported language from Accept-Language', () => {
    expect(fromAcceptLanguage('fi-FI,fi;q=0.9,en;q=0.8')).to.equal('fi');
    expect(fromAcceptLanguage('de-DE,en;q=0.5,sv;q=0.7')).to.equal('sv');
    expect(fromAcceptLanguage('de-DE')).to.equal(undefined);
    expect(fromAcceptLanguage('fi;q=0, en')).to.equal('en');
    expect(fromAcceptLanguage(undefined)).to.equal(undefined);
  });

  it('formats euros, m² and dates the way each language writes them', () => {
    const nbsp = /[\u00a0\u202f ]/g;
    expect(formatters('fi').eur(1250).replace(nbsp, ' ')).to.equal('1 250 €');
    expect(formatters('en').eur(1250)).to.equal('€1,250');
    expect(formatters('sv').m2(72).replace(nbsp, ' ')).to.equal('72 m²');
    const day = new Date('2026-02-28T12:00:00Z');
    expect(formatters('fi').date(day)).to.equal('28.2.2026');
    expect(formatters('en').date(day)).to.equal('28 Feb 2026');
    expect(formatters('sv').date(day)).to.match(/28 feb\.? 2026/);
  });
});
