/** Our nick key: one per process, shared by every directory connection (spec §6.5 item 1). */
import { bytesToHex, isValidPrivateKey, publicKeyOf, randomPrivateKey } from '../protocol/crypto.js';
import { nickFromPubkeyHex } from '../protocol/nick.js';
import { buildSignedPrivmsg } from '../protocol/jm-message.js';
import { signNickAuthProof, type NickAuthChallenge, type NickAuthProof } from '../protocol/nick-auth.js';

export class NickIdentity {
  readonly pubkeyHex: string;
  readonly nick: string;

  private constructor(private readonly privateKey: Uint8Array) {
    this.pubkeyHex = bytesToHex(publicKeyOf(privateKey));
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

  /** `nick!to!cmd args pub sig`, signed over args + "onion-network". */
  signPrivmsg(to: string, cmd: string, args: string): string {
    return buildSignedPrivmsg(this.nick, to, cmd, args, this.privateKey);
  }
}
