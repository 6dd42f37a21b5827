/**
 * Fidelity-bond timenumbers (wallet-and-bonds.md §4): n in [0, 959] <-> 00:00 UTC on the
 * first of month (2020 + n/12, 1 + n%12). The inverse accepts only exact grid points.
 */
export const TIMENUMBER_COUNT = 960;
export const TIMELOCK_EPOCH_YEAR = 2020;

export function isValidTimenumber(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n < TIMENUMBER_COUNT;
}

export function timenumberToLocktime(n: number): number {
  if (!isValidTimenumber(n)) throw new RangeError(`timenumber must be an integer in [0, ${TIMENUMBER_COUNT - 1}], got ${n}`);
  return Date.UTC(TIMELOCK_EPOCH_YEAR + Math.floor(n / 12), n % 12, 1) / 1000;
}

/** null when the timestamp is not midnight UTC on the 1st of a month in range. */
export function locktimeToTimenumber(locktime: number): number | null {
  if (!Number.isSafeInteger(locktime)) return null;
  const d = new Date(locktime * 1000);
  const n = (d.getUTCFullYear() - TIMELOCK_EPOCH_YEAR) * 12 + d.getUTCMonth();
  if (!isValidTimenumber(n)) return null;
  return timenumberToLocktime(n) === locktime ? n : null;
}

/** "YYYY-MM" -> timenumber, or an Error naming the problem. */
export function parseYearMonth(s: string): number {
  const m = /^(\d{4})-(\d{2})$/.exec(s.trim());
  if (!m) throw new Error(`expected YYYY-MM, got "${s}"`);
  const year = Number(m[1]);
  const month = Number(m[2]);
  if (month < 1 || month > 12) throw new Error(`month must be 01..12, got "${m[2]}"`);
  const n = (year - TIMELOCK_EPOCH_YEAR) * 12 + (month - 1);
  if (!isValidTimenumber(n)) throw new Error(`${s} is outside 2020-01 .. 2099-12`);
  return n;
}

export function formatYearMonth(n: number): string {
  const lt = timenumberToLocktime(n);
  return new Date(lt * 1000).toISOString().slice(0, 7);
}
