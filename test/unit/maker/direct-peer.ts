/** A taker-side peer on a maker's direct listener: raw 793 handshake and signed privmsgs. */
import { NickIdentity } from '../../../src/client/identity.js';
import { buildClientHandshake } from '../../../src/protocol/handshake.js';
import { parsePrivmsgBody, splitRouted, verifyPrivmsg } from '../../../src/protocol/jm-message.js';
import { MsgType } from '../../../src/protocol/message-types.js';
import { NOT_SERVING_ONION } from '../../../src/protocol/onion.js';
import { DnPeer } from '../../helpers/dn-peer.js';

export class DirectPeer {
  private constructor(readonly peer: DnPeer, readonly identity: NickIdentity) {}

  static async connect(port: number, identity = NickIdentity.random()): Promise<DirectPeer> {
    return new DirectPeer(await DnPeer.connect(port), identity);
  }

  get nick(): string {
    return this.identity.nick;
  }

  handshake(network = 'regtest', o: { nick?: string; directory?: boolean } = {}): void {
    const line = buildClientHandshake({ nick: o.nick ?? this.nick, location: NOT_SERVING_ONION, network, features: {} });
    this.peer.send(MsgType.HANDSHAKE, o.directory ? line.replace('"directory": false', '"directory": true') : line);
  }

  privmsg(to: string, cmd: string, args: string, signer: NickIdentity = this.identity): void {
    this.peer.send(MsgType.PRIVMSG, signer.signPrivmsg(to, cmd, args));
  }

  /** Next privmsg; its signature and nick are checked as a taker would. */
  async nextPrivmsg(timeoutMs = 5_000): Promise<{ from: string; cmd: string; args: string }> {
    const env = await this.peer.nextOfType(MsgType.PRIVMSG, timeoutMs);
    const r = splitRouted(env.line);
    if (!r || r.to !== this.nick) throw new Error(`privmsg not for us: ${env.line.slice(0, 80)}`);
    const p = parsePrivmsgBody(r.from, r.to, r.body);
    if (!p.ok) throw new Error(p.reason);
    const v = verifyPrivmsg(p.msg);
    if (!v.ok) throw new Error(v.reason);
    return { from: p.msg.from, cmd: p.msg.cmd, args: p.msg.args };
  }

  /** Raw lines received so far (consumed or not). */
  receivedText(): string {
    return this.peer.received.toString('utf8');
  }

  get closed(): Promise<void> {
    return this.peer.closed;
  }

  close(): Promise<void> {
    return this.peer.close();
  }
}
