/**
 * Per-connection state. Kept to plain fields (no closures, no timers) so an idle peer costs
 * little beyond its socket; the manager's shared handlers find it through a symbol on the socket.
 */
import { LineSplitter } from '../protocol/framing.js';
import type { InboundSocket } from '../transport/types.js';
import type { PrivateSpans } from './output-guard.js';
import type { Location } from '../protocol/onion.js';
import type { AuthPending } from './nick-auth.js';

/** A validated handshake waiting to be admitted. */
export interface AdmittedHandshake {
  nick: string;
  location: Location;
  features: string[];
}

/** Whether a declared location was shown to serve this nick (location-prover.ts). */
export const LocationProof = { None: 0, Pending: 1, Proven: 2, Failed: 3 } as const;
export type LocationProofState = (typeof LocationProof)[keyof typeof LocationProof];

export const ConnState = { Pending: 0, Ready: 1, Closing: 2, Closed: 3 } as const;
export type ConnStateCode = (typeof ConnState)[keyof typeof ConnState];

/** Shared empty list: most peers (reference clients) advertise no features. */
const NO_FEATURES = Object.freeze([]) as unknown as string[];

export class PeerConnection {
  state: ConnStateCode = ConnState.Pending;
  readonly splitter = new LineSplitter();
  lastSeen: number;
  /** When the close started (Closing state), for the grace-period destroy. */
  closingSince = 0;
  /** When the unterminated line now held started (0 = none held). */
  lineStartedAt = 0;
  /** First reason given for closing; logged when the socket is gone. */
  closeReason = '';

  // Set at handshake.
  nick = '';
  location = '';
  /** Key of the one-nick-per-location rule ('' for non-serving peers, and until proven). */
  locationKey = '';
  /** Declared a serving location (role maker, probed with !orderbook). */
  serving = false;
  /** The location key claimed in the handshake ('' for non-serving peers). */
  claimedKey = '';
  /** What peerlists say about this peer: its location once proven (or proofs off), else NOT-SERVING-ONION. */
  listedLocation = '';
  /** LocationProof code for a serving claim. */
  locationProof: LocationProofState = LocationProof.None;
  /** Enabled features, sorted; never mutated in place. */
  features: string[] = NO_FEATURES;
  wantsPing = false;
  wantsPeerlistFeatures = false;
  /** The key a nick-auth proof verified for this nick (lowercase hex), else null. */
  verifiedPubkey: string | null = null;
  /** Set while a nick-auth proof is awaited (the connection is still pending). */
  auth: AuthPending<AdmittedHandshake> | null = null;
  /** Has published an offer: listed in GETPEERLIST replies even when not serving. */
  announcedOffer = false;
  /**
   * Another peer may know this nick: it serves (listed), had a message relayed, or appeared in
   * a GETPEERLIST reply. Only such peers get a `;D` when they leave.
   */
  known = false;
  /** When a liveness probe was sent and not yet answered (0 = none outstanding). */
  probeSentAt = 0;
  /** Index in the registry's dense peer array (-1 = not registered). */
  registryIndex = -1;
  /** Token buckets, [tokens, stampMs] per limited kind; allocated at handshake. */
  buckets: number[] | null = null;
  /** Decayed pubmsg and `!orderbook` demand on the DN-wide budget (broadcast-budget.ts), and when. */
  demand = 0;
  demandAt = 0;
  obDemand = 0;
  obDemandAt = 0;
  /** Decayed privmsg bytes asked to send, and this peer's privmsg byte bucket as a target (inbox-budget.ts). */
  privDemand = 0;
  privDemandAt = 0;
  inbox: number[] | null = null;

  // Write batching: buffers queued this tick, flushed once per event-loop turn.
  pending: Buffer[] | null = null;
  pendingBytes = 0;
  queued = false;
  /** Turn in which this connection takes the per-connection path (see ConnectionManager). */
  mixedTurn = 0;
  /** First of the turn's broadcast lines not yet copied into `pending`. */
  lineCursor = 0;
  /** Bytes handed to socket.write so far. */
  written = 0;
  /** Private output that may still be in the socket's buffer (see OutputGuard). */
  privateOut: PrivateSpans | null = null;
  /** Unsent private bytes the OutputGuard counts for this connection. */
  counted = 0;
  /** Over the soft mark: broadcasts are skipped (see ConnectionManager.lag). */
  lagging = false;
  /** While lagging: since when no output was taken, and how far the socket had got then. */
  lagSince = 0;
  lagSent = 0;

  constructor(
    readonly id: number,
    readonly socket: InboundSocket,
    readonly connectedAt: number,
  ) {
    this.lastSeen = connectedAt;
  }

  get remote(): string {
    return `${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? 0}`;
  }

  get role(): 'maker' | 'taker' {
    return this.serving ? 'maker' : 'taker';
  }
}
