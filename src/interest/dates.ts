/**
 * Calendar dates on plain integers (proleptic Gregorian, no time of day, no time zone). `Date` is
 * never used: a `'YYYY-MM-DD'` string is read into `{year, month, day}` and day arithmetic runs
 * on the day number since 1970-01-01 (H. Hinnant's `days_from_civil` / `civil_from_days`).
 */

export interface CalendarDate {
  readonly year: number;
  /** 1..12 */
  readonly month: number;
  /** 1..daysInMonth(year, month) */
  readonly day: number;
}

export class DateError extends Error {}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

export function daysInMonth(year: number, month: number): number {
  if (!Number.isInteger(month) || month < 1 || month > 12) throw new DateError(`month ${month} is not 1..12`);
  return month === 2 && isLeapYear(year) ? 29 : MONTH_DAYS[month - 1]!;
}

/** A validated date; years 1..9999 (what `YYYY-MM-DD` can carry). */
export function makeDate(year: number, month: number, day: number): CalendarDate {
  if (!Number.isInteger(year) || year < 1 || year > 9999) throw new DateError(`year ${year} is not 1..9999`);
  if (!Number.isInteger(month) || month < 1 || month > 12) throw new DateError(`month ${month} is not 1..12`);
  if (!Number.isInteger(day) || day < 1 || day > daysInMonth(year, month)) {
    throw new DateError(`${year}-${month} has no day ${day}`);
  }
  return Object.freeze({ year, month, day });
}

const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Reads `'YYYY-MM-DD'` exactly (no time, no offset); refuses impossible dates such as 2026-02-30. */
export function parseDate(text: string): CalendarDate {
  const match = DATE_TEXT.exec(text);
  if (!match) throw new DateError(`"${text}" is not a YYYY-MM-DD date`);
  return makeDate(Number(match[1]), Number(match[2]), Number(match[3]));
}

export function formatDate(date: CalendarDate): string {
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  return `${pad(date.year, 4)}-${pad(date.month, 2)}-${pad(date.day, 2)}`;
}

/** Days since 1970-01-01 (negative before). */
export function toEpochDay(date: CalendarDate): number {
  const y = date.month <= 2 ? date.year - 1 : date.year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400; // 0..399
  const mp = date.month > 2 ? date.month - 3 : date.month + 9; // March = 0
  const doy = Math.floor((153 * mp + 2) / 5) + date.day - 1; // 0..365
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy; // 0..146096
  return era * 146097 + doe - 719468;
}

export function fromEpochDay(epochDay: number): CalendarDate {
  if (!Number.isInteger(epochDay)) throw new DateError(`${epochDay} is not a whole day number`);
  const z = epochDay + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return makeDate(yoe + era * 400 + (month <= 2 ? 1 : 0), month, day);
}

/** Actual days from `start` to `end` (negative when `end` is earlier). */
export function daysBetween(start: CalendarDate, end: CalendarDate): number {
  return toEpochDay(end) - toEpochDay(start);
}

export function addDays(date: CalendarDate, days: number): CalendarDate {
  return fromEpochDay(toEpochDay(date) + days);
}

export function compareDates(a: CalendarDate, b: CalendarDate): -1 | 0 | 1 {
  if (a.year !== b.year) return a.year < b.year ? -1 : 1;
  if (a.month !== b.month) return a.month < b.month ? -1 : 1;
  if (a.day !== b.day) return a.day < b.day ? -1 : 1;
  return 0;
}

export function sameDate(a: CalendarDate, b: CalendarDate): boolean {
  return compareDates(a, b) === 0;
}

export function isLastDayOfMonth(date: CalendarDate): boolean {
  return date.day === daysInMonth(date.year, date.month);
}

export function endOfMonth(year: number, month: number): CalendarDate {
  return makeDate(year, month, daysInMonth(year, month));
}

/**
 * `date` moved by `months` calendar months (may be negative). The day of month is kept where the
 * target month has it and clamped to the month's last day where not (31 Jan + 1 → 28/29 Feb).
 * With `endOfMonth`, the result is always the last day of the target month.
 */
export function addMonths(date: CalendarDate, months: number, endOfMonthRule = false): CalendarDate {
  if (!Number.isInteger(months)) throw new DateError(`${months} is not a whole number of months`);
  const index = date.year * 12 + (date.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  const last = daysInMonth(year, month);
  return makeDate(year, month, endOfMonthRule ? last : Math.min(date.day, last));
}
