import { expect } from 'chai';
import {
  addMonthsClamped,
  isPassive,
  isWarningDue,
  passiveBounds,
  purgeDeadline,
  warningBounds,
} from '../../server/services/retention';

const d = (iso: string) => new Date(iso);
const SECOND = 1000;
const plus = (iso: string, ms: number) => new Date(new Date(iso).getTime() + ms);

describe('retention: adding calendar months', () => {
  it('keeps the day of the month and the time of day', () => {
    expect(addMonthsClamped(d('2027-01-15T08:30:12.345Z'), 3).toISOString()).to.equal('2027-04-15T08:30:12.345Z');
  });

  it('clamps 30 November + 3 months to 28 February in a common year', () => {
    expect(addMonthsClamped(d('2026-11-30T12:00:00Z'), 3).toISOString()).to.equal('2027-02-28T12:00:00.000Z');
  });

  it('clamps 30 November + 3 months to 29 February in a leap year', () => {
    expect(addMonthsClamped(d('2027-11-30T12:00:00Z'), 3).toISOString()).to.equal('2028-02-29T12:00:00.000Z');
  });

  it('clamps 31 May + 3 months to 31 August but 31 March + 3 months to 30 June', () => {
    expect(addMonthsClamped(d('2027-05-31T00:00:00Z'), 3).toISOString()).to.equal('2027-08-31T00:00:00.000Z');
    expect(addMonthsClamped(d('2027-03-31T23:59:59Z'), 3).toISOString()).to.equal('2027-06-30T23:59:59.000Z');
  });

  it('crosses the year and goes backwards too', () => {
    expect(addMonthsClamped(d('2027-12-31T10:00:00Z'), 3).toISOString()).to.equal('2028-03-31T10:00:00.000Z');
    expect(addMonthsClamped(d('2028-05-31T10:00:00Z'), -3).toISOString()).to.equal('2028-02-29T10:00:00.000Z');
    expect(addMonthsClamped(d('2027-02-15T10:00:00Z'), -14).toISOString()).to.equal('2025-12-15T10:00:00.000Z');
  });
});

describe('retention: an account is passive when lastLoginAt + 3 months < now', () => {
  // [last sign-in, deadline] pairs at month ends and in leap years.
  const CASES: [string, string][] = [
    ['2027-01-15T08:00:00.000Z', '2027-04-15T08:00:00.000Z'],
    ['2026-11-30T12:00:00.000Z', '2027-02-28T12:00:00.000Z'],
    ['2026-11-29T12:00:00.000Z', '2027-02-28T12:00:00.000Z'],
    ['2027-11-30T12:00:00.000Z', '2028-02-29T12:00:00.000Z'],
    ['2027-11-29T23:59:59.000Z', '2028-02-29T23:59:59.000Z'],
    ['2027-12-31T00:00:00.000Z', '2028-03-31T00:00:00.000Z'],
    ['2028-03-31T18:00:00.000Z', '2028-06-30T18:00:00.000Z'],
    ['2027-10-31T23:59:59.999Z', '2028-01-31T23:59:59.999Z'],
  ];
  for (const [last, deadline] of CASES) {
    describe(`signed in last ${last}`, () => {
      it(`is not passive one second before ${deadline}`, () => {
        expect(purgeDeadline(d(last), 3).toISOString()).to.equal(deadline);
        expect(isPassive(d(last), plus(deadline, -SECOND), 3)).to.equal(false);
      });
      it(`is not passive at exactly ${deadline}`, () => {
        expect(isPassive(d(last), d(deadline), 3)).to.equal(false);
      });
      it(`is passive one second after ${deadline}`, () => {
        expect(isPassive(d(last), plus(deadline, SECOND), 3)).to.equal(true);
      });
    });
  }

  it('follows the configured number of months', () => {
    expect(isPassive(d('2027-01-31T00:00:00Z'), d('2027-03-01T00:00:00Z'), 1)).to.equal(true);
    expect(isPassive(d('2027-01-31T00:00:00Z'), d('2027-02-28T00:00:00Z'), 1)).to.equal(false);
  });
});

describe('retention: the warning is due 14 days before the deadline', () => {
  const last = '2026-11-30T12:00:00.000Z'; // deadline 2027-02-28T12:00Z
  it('is not due one second before 14 days ahead of the deadline', () => {
    expect(isWarningDue(d(last), d('2027-02-14T11:59:59Z'), 3, 14)).to.equal(false);
  });
  it('is due at exactly 14 days before, and until the deadline itself', () => {
    expect(isWarningDue(d(last), d('2027-02-14T12:00:00Z'), 3, 14)).to.equal(true);
    expect(isWarningDue(d(last), d('2027-02-28T12:00:00Z'), 3, 14)).to.equal(true);
  });
  it('is no longer due once the account is passive (it is deleted instead)', () => {
    expect(isWarningDue(d(last), d('2027-02-28T12:00:01Z'), 3, 14)).to.equal(false);
  });
});

describe('retention: the SQL pre-filter never misses a passive account', () => {
  // Brute force over instants around month ends of a common and a leap year: for every
  // "now" and every last sign-in, passive ⇒ lastLoginAt < possiblyBefore, and
  // lastLoginAt < surelyBefore ⇒ passive.
  const HOUR = 3600 * 1000;
  const nows: Date[] = [];
  for (const month of ['2027-02', '2027-03', '2027-04', '2027-05', '2027-06', '2027-08', '2028-02', '2028-03', '2028-12']) {
    for (const day of ['01', '15', '27', '28', '29', '30', '31']) {
      for (const time of ['00:00:00.000', '11:59:59.999', '12:00:00.000', '23:59:59.999']) {
        const now = new Date(`${month}-${day}T${time}Z`);
        if (now.toISOString().startsWith(`${month}-${day}`)) nows.push(now);
      }
    }
  }

  it('holds for every last sign-in within four months before each "now", every three hours and at the edges', () => {
    let checked = 0;
    const failures: string[] = [];
    for (const now of nows) {
      const { surelyBefore, possiblyBefore } = passiveBounds(now, 3);
      expect(surelyBefore.getTime()).to.be.at.most(possiblyBefore.getTime());
      const start = addMonthsClamped(now, -4).getTime();
      const probes: number[] = [];
      for (let t = start; t <= now.getTime(); t += 3 * HOUR) probes.push(t, t + 1, t - 1, t + 30 * 60 * 1000);
      for (const edge of [surelyBefore.getTime(), possiblyBefore.getTime(), now.getTime() - 1]) {
        for (let k = -3; k <= 3; k += 1) probes.push(edge + k * 1000, edge + k);
      }
      for (const t of probes) {
        const passive = isPassive(new Date(t), now, 3);
        if ((passive && t >= possiblyBefore.getTime()) || (t < surelyBefore.getTime() && !passive)) {
          failures.push(`${new Date(t).toISOString()} at ${now.toISOString()}`);
        }
        checked += 1;
      }
    }
    expect(failures).to.deep.equal([]);
    expect(checked).to.be.above(100_000);
  });

  it('is exact (passive ⇔ before the cut-off) away from month ends', () => {
    const now = d('2027-04-15T10:00:00Z');
    const { surelyBefore, possiblyBefore } = passiveBounds(now, 3);
    expect(surelyBefore.toISOString()).to.equal('2027-01-15T10:00:00.000Z');
    expect(possiblyBefore.toISOString()).to.equal('2027-01-15T10:00:00.000Z');
  });

  it('widens to the end of the month on the last day of a month, where clamping breaks the order', () => {
    // 29 Nov 13:00 → deadline 28 Feb 13:00, but 30 Nov 12:00 → 28 Feb 12:00.
    const now = d('2027-02-28T12:30:00Z');
    expect(isPassive(d('2026-11-30T12:00:00Z'), now, 3)).to.equal(true);
    expect(isPassive(d('2026-11-29T13:00:00Z'), now, 3)).to.equal(false);
    const { surelyBefore, possiblyBefore } = passiveBounds(now, 3);
    expect(surelyBefore.toISOString()).to.equal('2026-11-28T12:30:00.000Z');
    expect(possiblyBefore.toISOString()).to.equal('2026-12-01T00:00:00.000Z');
  });

  it('bounds the warning window the same way', () => {
    const now = d('2027-02-14T12:00:00Z');
    const { from, before } = warningBounds(now, 3, 14);
    for (let t = addMonthsClamped(now, -4).getTime(); t <= now.getTime(); t += 1800 * 1000) {
      if (isWarningDue(new Date(t), now, 3, 14)) {
        expect(t).to.be.at.least(from.getTime());
        expect(t).to.be.below(before.getTime());
      }
    }
    expect(isWarningDue(d('2026-11-30T12:00:00Z'), now, 3, 14)).to.equal(true);
  });
});
