/**
 * Pending requests with explicit timeouts (nostr-tools style): every wait is registered here
 * so close() can reject all of them at once.
 */
import type { Clock, Timer } from '../util/clock.js';

export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}
export class ClosedError extends Error {
  override readonly name = 'ClosedError';
}

interface Entry {
  reject: (err: Error) => void;
  timer: Timer;
}

export class PendingRequests {
  private nextId = 1;
  private readonly entries = new Map<number, Entry>();

  constructor(private readonly clock: Clock) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * Runs `start(resolve)` and returns a promise that settles on resolve, on timeout or on
   * rejectAll(). `start` may return a cleanup function.
   */
  wait<T>(what: string, timeoutMs: number, start: (resolve: (v: T) => void, reject: (e: Error) => void) => (() => void) | void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const id = this.nextId++;
      let cleanup: (() => void) | void;
      const finish = (): void => {
        const e = this.entries.get(id);
        if (!e) return;
        this.clock.clearTimeout(e.timer);
        this.entries.delete(id);
        if (cleanup) cleanup();
      };
      const timer = this.clock.setTimeout(() => {
        finish();
        reject(new TimeoutError(`${what}: timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.entries.set(id, {
        timer,
        reject: (err) => {
          finish();
          reject(err);
        },
      });
      cleanup = start(
        (v) => {
          if (!this.entries.has(id)) return;
          finish();
          resolve(v);
        },
        (err) => this.entries.get(id)?.reject(err),
      );
    });
  }

  rejectAll(reason: string): void {
    for (const e of [...this.entries.values()]) e.reject(new ClosedError(reason));
  }
}
