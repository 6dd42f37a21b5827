/**
 * A client's side of nick authentication (wire-protocol.md §2.8): which id we expect for the
 * directory we dial, whether we advertise `nick_auth`, and the two steps after an accepted
 * 795 (answer the 803 challenge, read the 807 result).
 *
 * Only two failures are evidence that the directory is hostile: a challenge for another
 * directory-id, and `invalid`/`malformed` for our proof (which verified itself before it was
 * sent). `policy` (e.g. the directory was full at that moment), `expired` (a slow Tor link) and
 * messages we could not make sense of are retried with the usual backoff.
 */
import { MsgType } from '../protocol/message-types.js';
import { NICK_AUTH_FEATURE, buildProof, directoryIdForEndpoint, isValidDirectoryId, parseChallenge, parseResult } from '../protocol/nick-auth.js';
import type { NickIdentity } from './identity.js';

export const CLIENT_NICK_AUTH_MODES = ['prefer', 'require', 'off'] as const;
export type ClientNickAuthMode = (typeof CLIENT_NICK_AUTH_MODES)[number];

export interface ClientNickAuthOptions {
  /** prefer (default): authenticate with every directory that offers it; require: refuse those that do not. */
  mode?: ClientNickAuthMode;
  /** The id the directory must sign for; default derived from the dialled host:port. */
  directoryId?: string;
}

/** What the status pages show per directory. */
export interface NickAuthStatus {
  /** The directory advertised nick_auth in its last handshake (null before one). */
  offered: boolean | null;
  /** Our proof was accepted (807 ok) on the current connection. */
  verified: boolean;
  /** Why the last exchange failed, if it did. */
  error: string | null;
}

/**
 * ng derives an id only for onions; we also derive `host:port` for other hosts (loopback tests,
 * our own loopback directories), which a directory in loopback mode signs for by default.
 */
export function expectedDirectoryId(host: string, port: number, explicit?: string): string | null {
  if (explicit !== undefined) return isValidDirectoryId(explicit) ? explicit : null;
  const onion = directoryIdForEndpoint(host, port);
  if (onion !== null) return onion;
  const id = `${host.toLowerCase()}:${port}`;
  return isValidDirectoryId(id) ? id : null;
}

export type AuthStep = { kind: 'send'; type: number; line: string } | { kind: 'done' } | { kind: 'fail'; reason: string; hostile: boolean };

export class ClientNickAuth {
  readonly mode: ClientNickAuthMode;
  readonly expectedId: string | null;
  private step: 'idle' | 'challenge' | 'result' = 'idle';
  private line = '';

  constructor(host: string, port: number, o: ClientNickAuthOptions = {}) {
    this.mode = o.mode ?? 'prefer';
    this.expectedId = expectedDirectoryId(host, port, o.directoryId);
  }

  /** We advertise nick_auth only when we know which id to expect. */
  get advertised(): boolean {
    return this.mode !== 'off' && this.expectedId !== null;
  }

  /** After an accepted 795: whether the exchange follows (else whether require refuses). */
  afterHandshake(handshakeLine: string, dnFeatures: readonly string[]): 'auth' | 'skip' | 'refuse' {
    const offered = dnFeatures.includes(NICK_AUTH_FEATURE);
    if (this.advertised && offered) {
      this.step = 'challenge';
      this.line = handshakeLine;
      return 'auth';
    }
    return this.mode === 'require' ? 'refuse' : 'skip';
  }

  get active(): boolean {
    return this.step !== 'idle';
  }

  /** Feeds one message received during the exchange. */
  onMessage(type: number, line: string, identity: NickIdentity): AuthStep {
    if (this.step === 'challenge') {
      if (type !== MsgType.NICK_AUTH_CHALLENGE) return this.fail(`expected a nick-auth challenge (803), got type ${type}`);
      const c = parseChallenge(line);
      if (!c.ok) return this.fail(`malformed challenge: ${c.reason}`);
      if (c.value.directoryId !== this.expectedId) return this.fail(`challenge is for directory-id ${JSON.stringify(c.value.directoryId.slice(0, 80))}, expected ${this.expectedId}`, true);
      this.step = 'result';
      return { kind: 'send', type: MsgType.NICK_AUTH_PROOF, line: buildProof(identity.signNickAuth(c.value, this.line)) };
    }
    if (this.step === 'result') {
      if (type !== MsgType.NICK_AUTH_RESULT) return this.fail(`expected a nick-auth result (807), got type ${type}`);
      const r = parseResult(line);
      if (!r.ok) return this.fail(`malformed result: ${r.reason}`);
      const code = r.value.code;
      if (code !== 'ok') return this.fail(`directory refused our proof: ${code}`, code === 'invalid' || code === 'malformed');
      this.step = 'idle';
      return { kind: 'done' };
    }
    return this.fail(`nick-auth message ${type} out of order`);
  }

  reset(): void {
    this.step = 'idle';
    this.line = '';
  }

  private fail(reason: string, hostile = false): AuthStep {
    this.reset();
    return { kind: 'fail', reason, hostile };
  }
}
