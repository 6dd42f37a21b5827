/**
 * Tunable limits of the directory node, with defaults chosen per docs/directory.md.
 * Rates are per minute with a bucket of one minute's worth; 0 disables that limit.
 */
import { z } from 'zod';

const count = z.number().int().min(0);
const ms = z.number().int().min(0);

export const DirectoryLimitsSchema = z.object({
  /** Handshaked peers; a further handshake gets accepted:false. */
  maxPeers: z.number().int().min(1).default(50_000),
  /** Sockets that have not finished their handshake; a newcomer beyond it closes the oldest. */
  maxPending: z.number().int().min(1).default(20_000),
  handshakeTimeoutMs: ms.default(30_000),
  /**
   * The handshake deadline while more than half of maxPending sockets await one (a flood):
   * an honest client sends its handshake as soon as it connects.
   */
  handshakePressureTimeoutMs: ms.default(10_000),
  /** One sweep over all peers (timeouts, probes, evictions) every this many ms. */
  sweepIntervalMs: z.number().int().min(10).default(5_000),
  /** Idle time after which a peer is probed (PING, or the !orderbook probe for makers). */
  probeAfterMs: ms.default(600_000),
  /** A probed peer that says nothing for this long is evicted. */
  pongTimeoutMs: ms.default(30_000),
  /** Idle time after which a probe-able peer is evicted without further ado. */
  evictAfterMs: ms.default(1_500_000),
  /** Also evict non-serving peers without ping (reference takers/watchers) after evictAfterMs. */
  evictSilentTakers: z.boolean().default(false),
  /** A live nick/location holder silent this long may be probed for a newcomer (pitfall 16). */
  duplicateProbeAfterMs: ms.default(60_000),
  /** A holder that cannot be probed is replaced by a newcomer after this much silence. */
  duplicateReplaceAfterMs: ms.default(600_000),
  ratePubmsgPerMin: count.default(600),
  rateOrderbookPerMin: count.default(6),
  rateGetpeerlistPerMin: count.default(6),
  ratePrivmsgPerMin: count.default(6_000),
  /**
   * Relayed pubmsg bytes per minute per peer (a line may overdraw; the next waits). Every
   * pubmsg byte is sent to every other peer; honest peers publish a few kB a minute.
   */
  pubmsgBytesPerMin: count.default(131_072),
  /**
   * Relayed privmsg bytes per minute per sender (a line may overdraw; the next waits). The
   * biggest honest privmsgs are a taker's `!tx` to each maker (up to a line each) and a maker's
   * answers to `!orderbook` askers.
   */
  privmsgBytesPerMin: count.default(2_097_152),
  /**
   * Privmsg bytes per second one target may be sent, all senders together (inbox-budget.ts;
   * 0 = no such budget), and the burst it may get at once: a taker's `!orderbook` answered by
   * every maker arrives together.
   */
  privmsgRecvBytesPerSec: count.default(65_536),
  privmsgRecvBurstBytes: z.number().int().min(65_536).default(1_048_576),
  /** GETPEERLIST reply bytes per minute per peer (a reply may overdraw; the next waits). */
  peerlistBytesPerMin: count.default(131_072),
  /**
   * A started line must end within this many ms, before and after the handshake (0 = no
   * deadline). A whole 40 kB line fits in Tor's initial stream window, so it arrives within
   * one circuit round trip even on a slow circuit.
   */
  lineTimeoutMs: ms.default(60_000),
  /** Bytes held for unterminated lines, all peers together; above it the oldest lines are cut. */
  inputBudgetBytes: z.number().int().min(65_536).default(64 * 1024 * 1024),
  /** Slow-reader cut-off: unsent output above this many bytes disconnects the peer (checked whenever output is added). */
  writeHighWaterBytes: z.number().int().min(1024).default(1_048_576),
  /**
   * Soft output mark: a peer with more unsent output than this is skipped by pubmsg broadcasts
   * (best-effort gossip) instead of being cut; private output still queues up to the high-water
   * mark. 0 = off (broadcast backlog counts towards the high-water cut).
   */
  writeSoftMarkBytes: count.default(524_288),
  /** A peer skipped at the soft mark that takes none of its output for this long is cut (0 = never). */
  slowReaderStallMs: ms.default(30_000),
  /**
   * DN-wide broadcast budget (broadcast-budget.ts): what every receiver gets, whoever sends it.
   * Relayed pubmsgs and their bytes per second, and relayed `!orderbook` per second (each makes
   * every maker answer); 0 = no such budget.
   */
  broadcastPerSec: count.default(20),
  broadcastBytesPerSec: count.default(16_384),
  broadcastOrderbookPerSec: count.default(2),
  /** Seconds' worth of each broadcast allowance that may go out at once (the buckets' size). */
  broadcastBurstMs: z.number().int().min(100).default(10_000),
  /** Half-life of a sender's remembered demand, by which the heaviest senders are shed first. */
  broadcastHalfLifeMs: z.number().int().min(100).default(60_000),
  /** A proven serving location counts a sender's demand this many times lighter (1 = no priority). */
  broadcastProvenWeight: z.number().int().min(1).default(4),
  /**
   * A connection's prior demand, in percent of a bucket, decaying from its connect time with the
   * half-life: fresh nicks may take the broadcast buckets and a peer's privmsg bucket down to this reserve, no further (0 = to empty).
   */
  broadcastNewcomerPercent: z.number().int().min(0).max(100).default(25),
  /** Unsent private output of all peers together; above it the largest queues are cut. */
  outputBudgetBytes: z.number().int().min(65_536).default(64 * 1024 * 1024),
  /** Departures within this window share one `;D` PEERLIST broadcast (0 = same tick). */
  departureCoalesceMs: ms.default(50),
  /**
   * `;D` notice bytes per second, DN-wide (every byte goes to every peer; 0 = no budget), with
   * broadcastBurstMs worth at once. Proven serving locations and offer announcers may use it
   * all, other departures half; what does not fit is not announced (departures.ts).
   */
  departureBytesPerSec: count.default(8_192),
  /**
   * Connect, disconnect and handshake log lines written in full per kind and minute; beyond it they are
   * counted into one summary line a minute (a churn flood costs no log volume).
   */
  connectionLogLinesPerMin: z.number().int().min(1).default(1_000),
  /** How long a closing socket may linger after its last reply before it is destroyed. */
  closeGraceMs: ms.default(2_000),
});

export type DirectoryLimits = z.infer<typeof DirectoryLimitsSchema>;
export type DirectoryLimitsInput = z.input<typeof DirectoryLimitsSchema>;

export function resolveLimits(input: DirectoryLimitsInput = {}): DirectoryLimits {
  const r = DirectoryLimitsSchema.safeParse(input);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(`invalid directory limit ${i ? `${i.path.join('.')}: ${i.message}` : ''}`);
  }
  return r.data;
}
