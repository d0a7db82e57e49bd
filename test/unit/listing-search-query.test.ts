import { expect } from 'chai';
import { DISTRICTS, districtName, districtOptions, isDistrictCode } from '../../server/services/districts';
import { parseListingForm, parseSearchQuery, searchQueryString } from '../../server/validation/listing';
import { listingForm } from '../helpers/factories';

describe('the shipped district list', () => {
  it('has Helsinki districts with ASCII codes, Finnish and Swedish names and five-digit 00xxx postal codes', () => {
    expect(DISTRICTS.length).to.be.at.least(45);
    const codes = new Set<string>();
    for (const d of DISTRICTS) {
      expect(d.code, d.fi).to.match(/^[a-z]+(-[a-z]+)*$/);
      expect(codes.has(d.code), d.code).to.equal(false);
      codes.add(d.code);
      expect(d.fi).to.be.a('string').and.not.equal('');
      expect(d.sv).to.be.a('string').and.not.equal('');
      expect(d.postalCodes.length, d.code).to.be.at.least(1);
      for (const p of d.postalCodes) expect(p, d.code).to.match(/^00\d{3}$/);
    }
    for (const code of ['kallio', 'vallila', 'kamppi', 'toolo', 'jatkasaari', 'itakeskus', 'vuosaari']) {
      expect(isDistrictCode(code), code).to.equal(true);
    }
  });

  it('names a district in the page language', () => {
    expect(districtName('kallio', 'fi')).to.equal('Kallio');
    expect(districtName('kallio', 'sv')).to.equal('Berghäll');
    expect(districtName('kallio', 'en')).to.equal('Kallio (Berghäll)');
    expect(districtName('eira', 'en')).to.equal('Eira');
    expect(districtName('gone', 'sv')).to.equal('gone');
  });

  it('sorts the options by name in the page language', () => {
    const names = districtOptions('sv').map((d) => d.name);
    expect(names).to.deep.equal([...names].sort(new Intl.Collator('sv').compare));
  });

  it('does not take object keys for districts', () => {
    for (const junk of ['__proto__', 'constructor', 'toString', '', ' kallio', 'KALLIO']) {
      expect(isDistrictCode(junk), junk).to.equal(false);
    }
  });
});

describe('parseSearchQuery', () => {
  it('reads every filter', () => {
    expect(
      parseSearchQuery({
        district: ['kallio', 'eira', 'kallio'],
        rooms_min: '2',
        rooms_max: '4',
        size_min: '50',
        rent_max: '1200',
        lift: '1',
        balcony: 'on',
        sauna: '0',
        sort: 'size',
        page: '3',
      }),
    ).to.deep.equal({
      districts: ['kallio', 'eira'],
      roomsMin: 2,
      roomsMax: 4,
      sizeMin: 50,
      rentMax: 1200,
      lift: true,
      balcony: true,
      sauna: false,
      sort: 'size',
      page: 3,
    });
  });

  it('ignores whatever it cannot read', () => {
    const f = parseSearchQuery({
      'district[]': 'x',
      district: 'atlantis',
      rooms_min: 'abc',
      rooms_max: '99',
      size_min: '-1',
      rent_max: '1e9',
      sort: 'DROP',
      page: '-5',
    });
    expect(f).to.deep.equal({
      districts: [],
      roomsMin: undefined,
      roomsMax: undefined,
      sizeMin: undefined,
      rentMax: undefined,
      lift: false,
      balcony: false,
      sauna: false,
      sort: 'newest',
      page: 1,
    });
    expect(parseSearchQuery(undefined).page).to.equal(1);
    expect(parseSearchQuery({ page: ['2', '3'] }).page).to.equal(1);
    expect(parseSearchQuery({ page: '0' }).page).to.equal(1);
  });

  it('writes the same search back as a query string for another page', () => {
    const f = parseSearchQuery({ district: ['kallio', 'eira'], rent_max: '900', lift: '1', sort: 'rent' });
    expect(searchQueryString(f, 2)).to.equal('?district=kallio&district=eira&rent_max=900&lift=1&sort=rent&page=2');
    expect(searchQueryString(parseSearchQuery({}), 1)).to.equal('');
  });
});

describe('parseListingForm', () => {
  it('turns a valid form into what the service stores', () => {
    const parsed = parseListingForm(listingForm({ wanted_districts: ['vallila', 'vallila', 'eira'], wanted_rent_max: '' }));
    expect(parsed.ok).to.equal(true);
    if (!parsed.ok) return;
    expect(parsed.data.wantedDistricts).to.deep.equal(['vallila', 'eira']);
    expect(parsed.data.wantedRentMax).to.equal(null);
    expect(parsed.data.hasLift).to.equal(true);
    expect(parsed.data.hasBalcony).to.equal(false);
    expect(parsed.data.rooms).to.equal(2);
  });

  it('accepts the edges of every range and refuses one past them', () => {
    const ok = (fields: Record<string, string>) => parseListingForm(listingForm(fields)).ok;
    expect(ok({ rooms: '1', size_m2: '10', rent_eur: '1' })).to.equal(true);
    expect(ok({ rooms: '8', size_m2: '300', rent_eur: '10000' })).to.equal(true);
    expect(ok({ rooms: '0' })).to.equal(false);
    expect(ok({ size_m2: '301' })).to.equal(false);
    expect(ok({ rent_eur: '10001' })).to.equal(false);
    expect(ok({ description: 'é'.repeat(2000) })).to.equal(true);
    expect(ok({ description: '😀'.repeat(2001) })).to.equal(false);
  });
});
