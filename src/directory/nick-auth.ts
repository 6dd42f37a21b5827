/**
 * The directory's side of nick authentication (wire-protocol.md §2.8, JMP-0005). After the
 * accepted 795 the peer gets a 803 challenge from a CSPRNG and must answer with a 805 proof
 * before the deadline; only then is it admitted (with its key recorded) and told 807 ok.
 * Anything else during the exchange ends it with a 807 code and a close. Modes: `prefer`
 * (authenticate who asks; verified claims win nick conflicts), `require` (refuse who does not
 * ask), `off` (do not advertise).
 */
import { randomBytes } from 'node:crypto';
import { encodeEnvelopeBuffer, type Envelope } from '../protocol/framing.js';
import { MsgType } from '../protocol/message-types.js';
import {
  NICK_AUTH_FEATURE, NICK_AUTH_MAX_TIMEOUT_MS, buildChallenge, buildResult, handshakeSha256, isValidDirectoryId, nickAuthVerifyInput, parseProof,
  type NickAuthCode, type VerifyInput,
} from '../protocol/nick-auth.js';
import { verifyCompact } from '../protocol/secp-fast.js';
import type { DirectoryStats } from './stats.js';

export const NICK_AUTH_MODES = ['prefer', 'require', 'off'] as const;
export type NickAuthMode = (typeof NICK_AUTH_MODES)[number];

export const REQUIRE_REASON = 'verified nick authentication required';

/** What the handshake established, kept while the proof is awaited. */
export interface AuthPending<T> {
  /** SHA-256 hex of the exact received handshake `line` (signed by the proof; the line itself, up to 40 kB, is not kept). */
  lineSha256: string;
  nick: string;
  challenge: string;
  startedAt: number;
  /** The validated handshake, used to admit the peer once verified. */
  handshake: T;
  /** Set while the proof's signature is verified: the lines that arrived meanwhile. */
  held?: { lines: Buffer[]; bytes: number } | undefined;
}

export type ProofVerdict = { ok: true; pubkey: string } | ProofFailure;
export type ProofFailure = { ok: false; code: Exclude<NickAuthCode, 'ok'>; reason: string };
/** A proof that passed every check but the signature: what is left to verify, and the key it would prove. */
export type PreparedProof = { ok: true; pubkey: string; input: VerifyInput } | ProofFailure;

const RESULTS = new Map<NickAuthCode, Buffer>();
/** The 807 line for a code (shared buffers: the payload never varies). */
export function resultBuffer(code: NickAuthCode): Buffer {
  let b = RESULTS.get(code);
  if (!b) RESULTS.set(code, (b = encodeEnvelopeBuffer(MsgType.NICK_AUTH_RESULT, buildResult(code))));
  return b;
}

export class NickAuthGate {
  private id = '';

  constructor(
    readonly mode: NickAuthMode,
    private readonly stats: DirectoryStats,
    readonly timeoutMs: number = NICK_AUTH_MAX_TIMEOUT_MS,
  ) {
    this.timeoutMs = Math.min(Math.max(timeoutMs, 100), NICK_AUTH_MAX_TIMEOUT_MS);
  }

  /** Sets the id we stand behind (`<onion>:5222`, or the loopback listen address). */
  setDirectoryId(id: string): void {
    if (!isValidDirectoryId(id)) throw new Error(`nick-auth directory id ${JSON.stringify(id)} is not [a-z0-9][a-z0-9.:_-]*`);
    this.id = id;
  }

  get directoryId(): string {
    return this.id;
  }

  /** Advertised and run only with an id. */
  get enabled(): boolean {
    return this.mode !== 'off' && this.id !== '';
  }

  /** The peer asked for the exchange (features.nick_auth === true) and we run it. */
  negotiates(features: readonly string[]): boolean {
    return this.enabled && features.includes(NICK_AUTH_FEATURE);
  }

  /** Starts the exchange: the 803 line to send after the accepted 795. */
  begin<T>(line: string, nick: string, handshake: T, now: number): { pending: AuthPending<T>; challenge: Buffer } {
    const challenge = this.random32();
    this.stats.nickAuth.challenged++;
    return {
      pending: { lineSha256: handshakeSha256(line), nick, challenge, startedAt: now, handshake },
      challenge: encodeEnvelopeBuffer(MsgType.NICK_AUTH_CHALLENGE, buildChallenge({ challenge, directoryId: this.id })),
    };
  }

  /** Checks the one message a peer may send while its proof is awaited (verifying on this thread). */
  check<T>(p: AuthPending<T>, env: Envelope): ProofVerdict {
    const r = this.prepare(p, env);
    return r.ok ? this.verdict(r.pubkey, verifyCompact(r.input.digest, r.input.pub, r.input.compact)) : r;
  }

  /** Every check of the proof but the signature verification. */
  prepare<T>(p: AuthPending<T>, env: Envelope): PreparedProof {
    if (env.type !== MsgType.NICK_AUTH_PROOF) return this.fail('malformed', `expected a nick-auth proof (805), got type ${env.type}`);
    const proof = parseProof(env.line);
    if (!proof.ok) return this.fail('malformed', `malformed proof: ${proof.reason}`);
    const v = nickAuthVerifyInput(proof.value, { challenge: p.challenge, directoryId: this.id }, { sha256: p.lineSha256 }, p.nick);
    if (typeof v === 'string') return this.verdict(proof.value.pubkey, v) as ProofFailure;
    return { ok: true, pubkey: proof.value.pubkey, input: v };
  }

  /** The verdict for a verification result. */
  verdict(pubkey: string, v: 'ok' | 'invalid' | 'malformed'): ProofVerdict {
    if (v === 'malformed') return this.fail('malformed', 'pubkey is not a point on the curve');
    if (v === 'invalid') return this.fail('invalid', 'proof does not verify for this nick, challenge and handshake');
    return { ok: true, pubkey };
  }

  /** 32 CSPRNG bytes as hex, drawn from a refilled 8 KiB pool (one syscall per 256 challenges in a burst). */
  private pool = Buffer.alloc(0);
  private poolAt = 0;
  private random32(): string {
    if (this.poolAt + 32 > this.pool.length) {
      this.pool = randomBytes(8192);
      this.poolAt = 0;
    }
    const hex = this.pool.toString('hex', this.poolAt, this.poolAt + 32);
    this.pool.fill(0, this.poolAt, this.poolAt + 32); // each challenge's bytes are used once
    this.poolAt += 32;
    return hex;
  }

  /** Past the deadline without a proof. A proof that came in time and is being verified (lines held) is judged, not expired. */
  expired<T>(p: AuthPending<T>, now: number): boolean {
    return p.held === undefined && now - p.startedAt >= this.timeoutMs;
  }

  /** Counts a final outcome ('ok' once the peer is admitted). */
  count(code: NickAuthCode): void {
    this.stats.nickAuth[code]++;
  }

  private fail(code: Exclude<NickAuthCode, 'ok'>, reason: string): ProofFailure {
    return { ok: false, code, reason };
  }
}
