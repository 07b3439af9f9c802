// FAT date/time fields to nanoseconds since the epoch, the way Linux's fat_time_fat2unix does
// it with default options (the fields are taken as UTC: no tz= and sys_tz 0): day 0 and month 0
// count as 1, months 13-15 add no days, the other fields are not range-checked.

/** days before each month (index 1-12); 13-15 are what Linux's table has there */
const DAYS_BEFORE = [0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 0, 0, 0];
/** days from 1970-01-01 to 1980-01-01 */
const DAYS_DELTA = 365 * 10 + 2;
const YEAR_2100 = 120;

/** Seconds since the epoch of a FAT `date` and `time` (both 16-bit fields). */
export function fatSeconds(date: number, time: number): number {
  const year = date >> 9;
  const month = Math.max(1, (date >> 5) & 0xf);
  const day = Math.max(1, date & 0x1f) - 1;
  let leap = Math.floor((year + 3) / 4);
  if (year > YEAR_2100) leap--;
  if ((year & 3) === 0 && year !== YEAR_2100 && month > 2) leap++;
  const secs = (time & 0x1f) * 2 + ((time >> 5) & 0x3f) * 60 + (time >> 11) * 3600;
  return secs + (year * 365 + leap + DAYS_BEFORE[month]! + day + DAYS_DELTA) * 86400;
}

/** Nanoseconds of a FAT timestamp with its 10 ms refinement (creation times; 0 elsewhere). */
export function fatTimeNs(date: number, time: number, centis = 0): bigint {
  const cs = centis > 199 ? 0 : centis;
  return BigInt(fatSeconds(date, time)) * 1_000_000_000n + BigInt(cs) * 10_000_000n;
}
