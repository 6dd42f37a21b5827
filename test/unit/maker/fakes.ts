/** In-memory wallet, chain and channel fakes for maker/taker unit tests (regtest addresses). */
import { networks, payments } from 'bitcoinjs-lib';
import { bytesToHex, publicKeyOf, sha256, utf8ToBytes } from '../../../src/protocol/crypto.js';
import { splitCommands } from '../../../src/protocol/offers.js';
import type { MakerUtxo } from '../../../src/protocol/coinjoin/tx-check.js';
import type { Outpoint } from '../../../src/protocol/coinjoin/utxo.js';
import type { InboundMessage, MakerChain, MakerChannel, MakerCoin, MakerWallet, TxStatus, UtxoInfo } from '../../../src/maker/ports.js';

export const NET = networks.regtest;

let seq = 0;
export function keyFor(label: string): Uint8Array {
  return sha256(utf8ToBytes(`${label}#${seq++}`));
}
export function p2wpkhOf(priv: Uint8Array): { script: Uint8Array; address: string } {
  const p = payments.p2wpkh({ pubkey: publicKeyOf(priv), network: NET });
  return { script: p.output!, address: p.address! };
}
export function randomTxid(label: string): string {
  return bytesToHex(sha256(utf8ToBytes(`tx ${label} ${seq++}`)));
}

export class FakeWallet implements MakerWallet {
  readonly mixdepthCount = 5;
  readonly all: MakerCoin[] = [];
  readonly locked = new Set<string>();
  readonly issued: Array<{ mixdepth: number; internal: boolean; address: string }> = [];
  private readonly keys = new Map<string, Uint8Array>();

  addCoin(mixdepth: number, valueSats: number, confirmations = 10): MakerCoin {
    const priv = keyFor('coin');
    const { script } = p2wpkhOf(priv);
    this.keys.set(bytesToHex(script), priv);
    const c: MakerCoin = { txid: randomTxid('coin'), vout: 0, valueSats, scriptPubKey: script, mixdepth, confirmations };
    this.all.push(c);
    return c;
  }
  coins(mixdepth: number): MakerCoin[] {
    return this.all.filter((c) => c.mixdepth === mixdepth && !this.locked.has(`${c.txid}:${c.vout}`));
  }
  freshAddress(mixdepth: number, internal: boolean): string {
    const priv = keyFor('addr');
    const { script, address } = p2wpkhOf(priv);
    this.keys.set(bytesToHex(script), priv);
    this.issued.push({ mixdepth, internal, address });
    return address;
  }
  privateKey(u: MakerUtxo): Uint8Array {
    const k = this.keys.get(bytesToHex(u.scriptPubKey));
    if (!k) throw new Error('not our coin');
    return k;
  }
  lock(us: readonly Outpoint[]): void {
    for (const u of us) this.locked.add(`${u.txid}:${u.vout}`);
  }
  unlock(us: readonly Outpoint[]): void {
    for (const u of us) this.locked.delete(`${u.txid}:${u.vout}`);
  }
}

export class FakeChain implements MakerChain {
  readonly utxos = new Map<string, UtxoInfo>();
  readonly status = new Map<string, TxStatus>();
  readonly broadcasts: string[] = [];
  tip = 500;
  async getUtxo(o: Outpoint): Promise<UtxoInfo | null> {
    return this.utxos.get(`${o.txid}:${o.vout}`) ?? null;
  }
  async txStatus(txid: string): Promise<TxStatus> {
    return this.status.get(txid) ?? 'unseen';
  }
  async broadcast(hex: string): Promise<string> {
    this.broadcasts.push(hex);
    return 'ok';
  }
  async tipHeight(): Promise<number> {
    return this.tip;
  }
}

export interface Sent {
  to: string;
  cmd: string;
  args: string;
}

/** A channel whose inbound messages are injected by the test and whose output is recorded. */
export class FakeChannel implements MakerChannel {
  constructor(readonly nick = 'J5makerfakeOOOOO') {}
  readonly sent: Sent[] = [];
  readonly public: string[] = [];
  /** Public messages sent on the route of one inbound message (public replies to `!orderbook`). */
  readonly routePublic: string[] = [];
  readonly anonymous: string[] = [];
  protected handlers: Array<(m: InboundMessage) => void> = [];
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  onMessage(h: (m: InboundMessage) => void): () => void {
    this.handlers.push(h);
    return () => (this.handlers = this.handlers.filter((x) => x !== h));
  }
  onRouteUp(): () => void {
    return () => {};
  }
  announce(body: string): void {
    this.public.push(body);
  }
  async announceAnonymously(body: string): Promise<void> {
    this.anonymous.push(body);
  }
  /** `direct`: as a direct connection delivers it (no public route); `fromDirectory`: the directory's own probe. */
  deliver(from: string, kind: 'pub' | 'priv', body: string, o: { direct?: boolean; fromDirectory?: boolean } = {}): void {
    const m: InboundMessage = {
      from, kind, commands: splitCommands(body), fromDirectory: o.fromDirectory ?? false, route: 'fake',
      reply: (cmd, args) => {
        this.sent.push({ to: from, cmd, args });
        return true;
      },
      ...(o.direct ? {} : { announce: (b: string) => (this.routePublic.push(b), true) }),
    };
    for (const h of this.handlers) h(m);
  }
  to(nick: string, cmd?: string): Sent[] {
    return this.sent.filter((s) => s.to === nick && (cmd === undefined || s.cmd === cmd));
  }
}
