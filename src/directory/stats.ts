/**
 * Hot-path counters as plain integers; /metrics reads them at scrape time, so routing never
 * pays for label lookups.
 */
import { RATE_KIND_NAMES, type RateKindName } from './rate-limiter.js';
import { BUDGET_DROPS } from './broadcast-budget.js';
import { PRIVMSG_DROPS } from './inbox-budget.js';

export const HANDSHAKE_RESULTS = ['accepted', 'rejected', 'invalid'] as const;
export type HandshakeResult = (typeof HANDSHAKE_RESULTS)[number];

/** Nick-auth outcomes: challenges sent, each 807 code, and unverified holders displaced. */
export const NICK_AUTH_COUNTERS = ['challenged', 'ok', 'malformed', 'expired', 'invalid', 'policy', 'displaced', 'required'] as const;
export type NickAuthCounter = (typeof NICK_AUTH_COUNTERS)[number];

/** Why a routed line was not relayed (see relayEncoding). */
export const RELAY_REFUSALS = ['over-limit', 'would-grow'] as const;

export const ROUTED_TYPES = ['pubmsg', 'privmsg', 'peerlist', 'ping', 'pong', 'probe'] as const;
export type RoutedType = (typeof ROUTED_TYPES)[number];

function zeroes<K extends string>(keys: readonly K[]): Record<K, number> {
  const o = {} as Record<K, number>;
  for (const k of keys) o[k] = 0;
  return o;
}

export class DirectoryStats {
  bytesIn = 0;
  bytesOut = 0;
  connectionsAccepted = 0;
  connectionsRefused = 0;
  /** Pending (pre-handshake) connections closed to make room for a newcomer at the cap. */
  pendingEvicted = 0;
  handshakes = zeroes(HANDSHAKE_RESULTS);
  /** Messages routed, counted once per message (not per recipient). */
  routed = zeroes(ROUTED_TYPES);
  /** Lines written to peers (a broadcast to N peers counts N). */
  deliveries = 0;
  rateLimitDrops = zeroes<RateKindName>(RATE_KIND_NAMES);
  rateLimitDisconnects = zeroes<RateKindName>(RATE_KIND_NAMES);
  nickAuth = zeroes(NICK_AUTH_COUNTERS);
  dropped = 0;
  /** Routed lines not relayed because their reference encoding would be too long. */
  relayRefused = zeroes(RELAY_REFUSALS);
  evictions = 0;
  slowReaderDisconnects = 0;
  /** Pubmsgs the DN-wide broadcast budget did not relay, by reason. */
  budgetDrops = zeroes(BUDGET_DROPS);
  /** Privmsgs not relayed for their target's sake, by reason (the sender's own limits count as rate-limit drops). */
  privmsgDrops = zeroes(PRIVMSG_DROPS);
  /** Broadcast lines not sent to peers over the soft output mark (per receiver). */
  broadcastSkipped = 0;
  /** Departures not announced by the `;D` byte budget: priority (proven or offering) and others. */
  departuresDropped = { priority: 0, other: 0 };
  /** Disconnects by reason class (see ConnectionManager.close callers). */
  readonly disconnects = new Map<string, number>();

  countDisconnect(kind: string): void {
    this.disconnects.set(kind, (this.disconnects.get(kind) ?? 0) + 1);
  }
}
