// exFAT timestamps: a DOS date/time, a 10 ms refinement (0-199) and a UTC offset in 15-minute
// steps (when its valid bit is set; otherwise the time is taken as UTC, Linux's default). The
// same arithmetic as Linux's exfat_get_entry_time.

export function exfatTimeNs(stamp: number, centis: number, tz: number): bigint {
  const date = stamp >>> 16;
  const time = stamp & 0xffff;
  let secs = Date.UTC(1980 + (date >> 9), ((date >> 5) & 0xf) - 1, date & 0x1f, time >> 11, (time >> 5) & 0x3f, (time & 0x1f) * 2) / 1000;
  let ns = 0;
  if (centis <= 199) {
    secs += Math.floor(centis / 100);
    ns = (centis % 100) * 10_000_000;
  }
  if (tz & 0x80) {
    const off = tz & 0x7f;
    secs += off <= 0x3f ? -off * 900 : (0x80 - off) * 900;
  }
  return BigInt(secs) * 1_000_000_000n + BigInt(ns);
}
