/** Peer input is never logged whole: cut it to 256 bytes (rs does the same). */
export const LOG_INPUT_MAX = 256;

export function clip(s: string, max = LOG_INPUT_MAX): string {
  if (s.length <= max && Buffer.byteLength(s) <= max) return s;
  const b = Buffer.from(s, 'utf8').subarray(0, max);
  return b.toString('utf8').replace(/\uFFFD$/, '') + '…';
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
