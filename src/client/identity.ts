/** Our nick key: one per process, shared by every directory connection (spec §6.5 item 1). */
import { bytesToHex, isValidPrivateKey, publicKeyOf, randomPrivateKey } from '../protocol/crypto.js';
import { nickFromPubkeyHex } from '../protocol/nick.js';
import { privmsgSignature } from '../protocol/jm-message.js';
import { AgeMap } from '../util/age-map.js';
import { signNickAuthProof, type NickAuthChallenge, type NickAuthProof } from '../protocol/nick-auth.js';

/** Recently signed args kept with their signature (offers, mostly). */
const MEMO_ENTRIES = 32;
const MEMO_MAX_ARGS = 4_096;

export class NickIdentity {
  readonly pubkeyHex: string;
  readonly nick: string;
  private readonly pubkey: Uint8Array;
  private readonly memo = new AgeMap<string, string>();

  private constructor(private readonly privateKey: Uint8Array) {
    this.pubkey = publicKeyOf(privateKey);
    this.pubkeyHex = bytesToHex(this.pubkey);
    this.nick = nickFromPubkeyHex(this.pubkeyHex);
  }

  static random(): NickIdentity {
    return new NickIdentity(randomPrivateKey());
  }

  static fromPrivateKey(key: Uint8Array): NickIdentity {
    if (!isValidPrivateKey(key)) throw new Error('invalid nick private key');
    return new NickIdentity(Uint8Array.from(key));
  }

  /** The 805 proof for a directory's challenge over the handshake line we sent (§2.8). */
  signNickAuth(challenge: NickAuthChallenge, handshakeLine: string): NickAuthProof {
    return signNickAuthProof(this.privateKey, challenge, handshakeLine, this.nick);
  }

  /**
   * `nick!to!cmd args pub sig`, signed over args + "onion-network". The signature does not
   * cover the recipient and is deterministic (RFC 6979), so the same args (an offer answering
   * every `!orderbook`) are signed once and the signature reused, not computed per asker.
   */
  signPrivmsg(to: string, cmd: string, args: string): string {
    if (args === '') throw new Error('privmsg args must not be empty');
    if (args.length > MEMO_MAX_ARGS) return `${this.nick}!${to}!${cmd} ${args}${privmsgSignature(args, this.privateKey, this.pubkey)}`;
    let signed = this.memo.get(args);
    if (signed === undefined) {
      signed = privmsgSignature(args, this.privateKey, this.pubkey);
      this.memo.set(args, signed);
      if (this.memo.size > MEMO_ENTRIES) this.memo.shift();
    }
    return `${this.nick}!${to}!${cmd} ${args}${signed}`;
  }

}
