/**
 * Admission stage 2: validates a client handshake (wire-protocol.md §2.2, §2.4) and builds the
 * 795 replies. Uniqueness and capacity are stage 3 (admission.ts).
 */
import { APP_NAME, PROTO_VER, buildDirectoryHandshake, enabledFeatures, parseClientHandshake, type ClientHandshake } from '../protocol/handshake.js';
import { encodeEnvelopeBuffer } from '../protocol/framing.js';
import { MsgType } from '../protocol/message-types.js';
import { isValidNickFormat } from '../protocol/nick.js';
import { parseLocation, type Location } from '../protocol/onion.js';
import { clip } from './log-util.js';
import { NICK_AUTH_FEATURE } from '../protocol/nick-auth.js';

/** Features this directory always advertises; `nick_auth` is added while nick-auth is on (§2.8). */
export const DIRECTORY_FEATURES = { peerlist_features: true, ping: true } as const;

export type HandshakeVerdict =
  | { ok: true; hs: ClientHandshake; location: Location; features: string[] }
  | { ok: false; reason: string };

export interface HandshakeHandlerOptions {
  network: string;
  /** Accept 127.0.0.1:port / localhost:port locations (loopback mode). */
  allowLoopback: boolean;
  nick: string;
  version: string;
  operatorMotd: string;
  /** Whether nick_auth is advertised (it has a directory id and is not off). */
  nickAuth?: () => boolean;
}

/** Operator text as rs does it: printable ASCII and newlines, at most 512 bytes. */
export function sanitizeMotd(s: string): string {
  return s.replace(/[^\x20-\x7e\n]/g, '').slice(0, 512);
}

export class HandshakeHandler {
  private location = '';
  private acceptedReply: Buffer | null = null;

  constructor(private readonly opts: HandshakeHandlerOptions) {}

  /** Our advertised location changed (listener bound, onion published): rebuild replies. */
  setLocation(location: string): void {
    this.location = location;
    this.acceptedReply = null;
  }

  motd(): string {
    const op = sanitizeMotd(this.opts.operatorMotd);
    return `DIRECTORY NODE: ${this.location}\nJOINMARKET VERSION: joinmarket-ts/${this.opts.version}` + (op ? `\n${op}` : '');
  }

  validate(line: string): HandshakeVerdict {
    const p = parseClientHandshake(line);
    if (!p.ok) return { ok: false, reason: `invalid handshake: ${p.reason}` };
    const hs = p.value;
    if (hs['app-name'] !== APP_NAME) return { ok: false, reason: `wrong app-name ${clip(JSON.stringify(hs['app-name']), 64)}` };
    if (hs.directory) return { ok: false, reason: 'peer claims to be a directory' };
    if (hs['proto-ver'] !== PROTO_VER) return { ok: false, reason: `unsupported proto-ver ${hs['proto-ver']} (need ${PROTO_VER})` };
    if (hs.network !== this.opts.network) {
      return { ok: false, reason: `wrong network ${clip(JSON.stringify(hs.network), 64)} (directory is ${this.opts.network})` };
    }
    if (!isValidNickFormat(hs.nick)) return { ok: false, reason: `invalid nick ${clip(JSON.stringify(hs.nick), 64)}` };
    // Its pubmsgs would pass as ours and GETPEERLIST would list us twice.
    if (hs.nick === this.opts.nick) return { ok: false, reason: `nick already in use: ${hs.nick}` };
    const location = parseLocation(hs['location-string'], { allowLoopback: this.opts.allowLoopback });
    if (!location) return { ok: false, reason: `invalid location-string ${clip(JSON.stringify(hs['location-string']), 80)}` };
    return { ok: true, hs, location, features: enabledFeatures(hs.features) };
  }

  /** The accepted reply carries nothing peer-specific, so it is serialised once. */
  accepted(): Buffer {
    this.acceptedReply ??= this.reply(true, this.motd());
    return this.acceptedReply;
  }

  /** Advertised feature names, sorted. */
  features(): string[] {
    const f: string[] = Object.keys(DIRECTORY_FEATURES);
    if (this.opts.nickAuth?.()) f.push(NICK_AUTH_FEATURE);
    return f.sort();
  }

  rejected(reason: string): Buffer {
    return this.reply(false, `Rejected: ${reason}`);
  }

  private reply(accepted: boolean, motd: string): Buffer {
    const line = buildDirectoryHandshake({
      nick: this.opts.nick,
      network: this.opts.network,
      accepted,
      motd,
      features: Object.fromEntries(this.features().map((k) => [k, true])),
    });
    return encodeEnvelopeBuffer(MsgType.DN_HANDSHAKE, line);
  }
}
