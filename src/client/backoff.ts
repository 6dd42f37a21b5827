/**
 * Capped exponential backoff with jitter. The reference client starts at 4 s and multiplies
 * by 1.5 (wire-protocol.md §2.5); we cap much lower so a watcher recovers within minutes.
 */
export interface BackoffOptions {
  initialMs: number;
  factor: number;
  maxMs: number;
  /** Fraction of the delay randomised either way (0.2 → ±20 %). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 4_000, factor: 1.5, maxMs: 300_000, jitter: 0.2 };

/** Delay before reconnect attempt number `attempt` (0-based). `random` returns [0, 1). */
export function backoffDelay(attempt: number, o: BackoffOptions, random: () => number): number {
  const base = Math.min(o.maxMs, o.initialMs * Math.pow(o.factor, Math.max(0, attempt)));
  const spread = base * o.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(Math.min(o.maxMs * (1 + o.jitter), base + spread)));
}
