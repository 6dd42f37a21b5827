/**
 * What a received signed privmsg may cost us before we believe it (wire-protocol.md §5.4).
 * Anyone can send a privmsg under its own (free) nick with a signature that does not verify,
 * and every one used to cost an ECDSA verification. So, in this order:
 *
 * 1. the cheap checks (checkPrivmsg: key format, signature length, nick ↔ key);
 * 2. a message verified before (same key, signature and args, e.g. a copy through another
 *    directory, or a replay) is believed from a bounded cache, at no further cost;
 * 3. the sender pays: each sender key (a nick on one directory, a direct connection) has a
 *    budget of verifications and a smaller one of failures per minute, and all senders of one
 *    gate share a global budget (a directory that does not bind nicks to connections lets one
 *    peer speak as any number of nicks);
 * 4. one ECDSA verification (libsecp256k1 by default, verifyPrivmsgFast).
 *
 * A sender past its failures is not verified again until its window frees up: honest peers
 * never send bad signatures, and a hostile directory forging one under an honest nick mutes
 * that nick only on itself (budgets are per directory). Memory: `maxSenders` keys at most.
 */
import { createHash } from 'node:crypto';
import { checkPrivmsg, verifyPrivmsgFast, type PrivmsgCheck, type SignedPrivmsg } from '../protocol/jm-message.js';
import { AgeMap } from '../util/age-map.js';
import type { Clock } from '../util/clock.js';
import { TokenBuckets } from '../util/rate-limit.js';

export interface PrivmsgGateLimits {
  /** ECDSA verifications per sender per minute. */
  verifiesPerSender: number;
  /** Failed verifications per sender per minute; past them the sender's messages are dropped unverified. */
  failuresPerSender: number;
  /** ECDSA verifications of all senders per minute. */
  verifiesGlobal: number;
  /** Senders whose budgets are remembered (least recently active forgotten first). */
  maxSenders: number;
}

/**
 * Honest senders need a few privmsgs a minute (an offers reply per `!orderbook`, a coinjoin's
 * `!fill`/`!auth`/`!tx` or `!pubkey`/`!ioauth`/one `!sig` per input); 120 leaves room for a
 * maker with many inputs. 30,000 a minute is ~3 % of a core with libsecp256k1.
 */
export const DEFAULT_PRIVMSG_GATE_LIMITS: PrivmsgGateLimits = {
  verifiesPerSender: 120, failuresPerSender: 3, verifiesGlobal: 30_000, maxSenders: 20_000,
};

/** Messages whose signature verified, remembered by (key, signature, args); bounded, oldest forgotten first. */
export class SignatureCache {
  private readonly seen = new AgeMap<string, true>();
  constructor(private readonly max = 4_096) {}

  has(m: SignedPrivmsg): boolean {
    return this.seen.has(cacheKey(m));
  }

  add(m: SignedPrivmsg): void {
    this.seen.set(cacheKey(m), true);
    if (this.seen.size > this.max) this.seen.shift();
  }

  get size(): number {
    return this.seen.size;
  }
}

/** A SHA-256 of the three parts: args may be 40 KB, and a collision would need a SHA-256 collision. */
function cacheKey(m: SignedPrivmsg): string {
  return createHash('sha256').update(`${m.pubkeyHex} ${m.sigBase64} `).update(m.args).digest('base64');
}

export interface PrivmsgGateCounts {
  verified: number;
  cached: number;
  failed: number;
  /** Dropped unverified: the sender or everyone was over budget. */
  overBudget: number;
}

const VERIFY = 0;
const FAIL = 1;

export class PrivmsgGate {
  readonly limits: PrivmsgGateLimits;
  private readonly buckets: TokenBuckets;
  private readonly global: TokenBuckets;
  private readonly globalStore: number[];
  private readonly senders = new AgeMap<string, number[]>();
  private readonly counts: PrivmsgGateCounts = { verified: 0, cached: 0, failed: 0, overBudget: 0 };

  constructor(
    private readonly clock: Clock,
    limits: Partial<PrivmsgGateLimits> = {},
    private readonly cache: SignatureCache = new SignatureCache(),
    private readonly verify: (m: SignedPrivmsg) => PrivmsgCheck = verifyPrivmsgFast,
  ) {
    this.limits = { ...DEFAULT_PRIVMSG_GATE_LIMITS, ...limits };
    this.buckets = new TokenBuckets([this.limits.verifiesPerSender, this.limits.failuresPerSender], 60_000);
    this.global = new TokenBuckets([this.limits.verifiesGlobal], 60_000);
    this.globalStore = this.global.create(clock.now());
  }

  get stats(): PrivmsgGateCounts {
    return { ...this.counts };
  }

  /** Whether to believe `m`, which arrived from `sender` (the key its budget is kept under). */
  check(m: SignedPrivmsg, sender: string): PrivmsgCheck {
    const cheap = checkPrivmsg(m, () => ({ ok: true }));
    if (!cheap.ok) return cheap;
    if (this.cache.has(m)) {
      this.counts.cached++;
      return { ok: true };
    }
    const now = this.clock.now();
    const store = this.sender(sender, now);
    if (this.buckets.level(store, FAIL, now) < 1) return this.over('sender sent bad signatures; not verifying it for now');
    if (this.buckets.level(store, VERIFY, now) < 1) return this.over('sender over its verification budget');
    if (this.global.level(this.globalStore, 0, now) < 1) return this.over('too many privmsgs to verify; dropped');
    this.buckets.spend(store, VERIFY, 1, now);
    this.global.spend(this.globalStore, 0, 1, now);
    const v = this.verify(m);
    if (v.ok) {
      this.counts.verified++;
      this.cache.add(m);
    } else {
      this.counts.failed++;
      this.buckets.spend(store, FAIL, 1, now);
    }
    return v;
  }

  private sender(key: string, now: number): number[] {
    let store = this.senders.get(key);
    if (store === undefined) store = this.buckets.create(now);
    this.senders.set(key, store); // now the most recently active
    if (this.senders.size > this.limits.maxSenders) this.senders.shift();
    return store;
  }

  private over(reason: string): PrivmsgCheck {
    this.counts.overBudget++;
    return { ok: false, reason };
  }
}
