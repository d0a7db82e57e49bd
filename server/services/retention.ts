// The retention rule (docs/product.md#the-purge), as pure date arithmetic in UTC.
//
// An account is passive at `now` when lastLoginAt + N calendar months < now, where adding
// months keeps the day of the month and the time of day and clamps the day to the last
// day of the target month (30 Nov 12:00 + 3 months = 28 Feb 12:00, 29 Feb in a leap year).
//
// Clamping makes the deadline non-monotonic in lastLoginAt: 29 Nov 13:00 → 28 Feb 13:00,
// but 30 Nov 12:00 → 28 Feb 12:00. So "deadline < now" is NOT the same as
// "lastLoginAt < now − N months" on the last days of a month, and the purge cannot be a
// single SQL comparison. `passiveBounds` gives two cut-offs instead, proved below and
// checked exhaustively in test/unit/retention.test.ts:
//   lastLoginAt < surelyBefore   ⇒ passive           (everything before is passive)
//   passive                      ⇒ lastLoginAt < possiblyBefore
// SQL selects lastLoginAt < possiblyBefore; each candidate is confirmed with isPassive().

const DAY_MS = 24 * 3600 * 1000;

function daysInMonth(year: number, month0: number): number {
  return new Date(Date.UTC(year, month0 + 1, 0)).getUTCDate();
}

/** `date` plus `months` calendar months (may be negative), day clamped to the month's end, UTC. */
export function addMonthsClamped(date: Date, months: number): Date {
  const total = date.getUTCFullYear() * 12 + date.getUTCMonth() + months;
  const year = Math.floor(total / 12);
  const month0 = total - year * 12;
  const day = Math.min(date.getUTCDate(), daysInMonth(year, month0));
  return new Date(
    Date.UTC(year, month0, day, date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds(), date.getUTCMilliseconds()),
  );
}

/** The instant after which an account that last signed in at `lastLoginAt` is passive. */
export function purgeDeadline(lastLoginAt: Date, months: number): Date {
  return addMonthsClamped(lastLoginAt, months);
}

/** Passive when the deadline lies strictly before `now` (docs/product.md#the-purge). */
export function isPassive(lastLoginAt: Date, now: Date, months: number): boolean {
  return purgeDeadline(lastLoginAt, months).getTime() < now.getTime();
}

/** When the warning e-mail for a deadline is due: `warningDays` whole days before it. */
export function warningDueAt(deadline: Date, warningDays: number): Date {
  return new Date(deadline.getTime() - warningDays * DAY_MS);
}

/** A warning is due at `now` for an account that is not yet passive and whose deadline is near. */
export function isWarningDue(lastLoginAt: Date, now: Date, months: number, warningDays: number): boolean {
  const deadline = purgeDeadline(lastLoginAt, months);
  return deadline.getTime() >= now.getTime() && warningDueAt(deadline, warningDays).getTime() <= now.getTime();
}

/**
 * SQL pre-filter bounds for "passive at `now`".
 *
 * Let now = (month N, day dn, time tn) and back = now − months, clamped: (month N−m, day
 * b = min(dn, last(N−m)), time tn).
 * - surelyBefore = back. Any L < back is in a month before N−m (deadline in a month before
 *   N, so < now), or in month N−m with (d, t) < (b, tn); then d ≤ b ≤ dn ≤ last(N), the
 *   day is not clamped, and deadline = (N, d, t) < (N, dn, tn) = now.
 * - possiblyBefore = back, unless `now` is on the last day of its month or back was
 *   clamped (dn > last(N−m)); then the first instant of month N−m+1. Proof for the usual
 *   case (dn < last(N) and dn ≤ last(N−m)): a passive L has its deadline in a month ≤ N.
 *   Months after N−m give deadlines after month N. In month N−m, if d > last(N) the
 *   deadline is (N, last(N), t) with last(N) > dn, not passive; otherwise the deadline is
 *   (N, d, t) < (N, dn, tn) iff L < (N−m, dn, tn) = back. So passive ⇔ L < back exactly.
 *   In the two edge cases every passive L is still in a month ≤ N−m.
 */
export function passiveBounds(now: Date, months: number): { surelyBefore: Date; possiblyBefore: Date } {
  const back = addMonthsClamped(now, -months);
  const nowDay = now.getUTCDate();
  const nowAtMonthEnd = nowDay === daysInMonth(now.getUTCFullYear(), now.getUTCMonth());
  const backClamped = back.getUTCDate() !== nowDay;
  if (!nowAtMonthEnd && !backClamped) return { surelyBefore: back, possiblyBefore: back };
  const nextMonthStart = new Date(Date.UTC(back.getUTCFullYear(), back.getUTCMonth() + 1, 1));
  return { surelyBefore: back, possiblyBefore: nextMonthStart };
}

/**
 * SQL pre-filter bounds for "a warning is due at `now`": not passive at now, and the
 * deadline at most `warningDays` days away. Every such account has
 * surelyBefore(now) ≤ lastLoginAt < possiblyBefore(now + warningDays + 1 ms).
 */
export function warningBounds(now: Date, months: number, warningDays: number): { from: Date; before: Date } {
  const horizon = new Date(now.getTime() + warningDays * DAY_MS + 1);
  return { from: passiveBounds(now, months).surelyBefore, before: passiveBounds(horizon, months).possiblyBefore };
}
