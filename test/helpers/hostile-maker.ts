/**
 * A maker that answers the taker's protocol correctly up to the point where it cheats, for
 * tests of the taker: it announces any offer (absurd fees included), can attach a bond proof
 * (e.g. one another nick also presents), lists whatever coins it is given in `!ioauth`, and at
 * `!sig` can send a high-S signature or one over a wrong input amount. It runs on any
 * MakerChannel (the real PoolChannel on a DN, or the unit tests' bus) and skips every check a
 * real maker makes.
 */
import type { Network } from 'bitcoinjs-lib';
import { decryptMessage, encryptMessage, makeBox, naclKeyPairFromSecret, type CjBox, type NaclKeyPair } from '../../src/protocol/coinjoin/box.js';
import { isCoinjoinCommand, parseCoinjoinCommand } from '../../src/protocol/coinjoin/messages.js';
import { formatIoauth, formatSigPlaintext, parseSigPlaintext, parseTxPlaintext, signNaclKeyOwnership } from '../../src/protocol/coinjoin/payloads.js';
import { signMakerInputs } from '../../src/protocol/coinjoin/sign.js';
import type { MakerUtxo } from '../../src/protocol/coinjoin/tx-check.js';
import { inputOutpoint } from '../../src/protocol/coinjoin/tx-check.js';
import { outpointKey } from '../../src/protocol/coinjoin/utxo.js';
import { concatBytes, hexToBytes, publicKeyOf, randomPrivateKey } from '../../src/protocol/crypto.js';
import type { InboundMessage, MakerBond, MakerChannel } from '../../src/maker/ports.js';
import { toHighS } from './signatures.js';

export type SigTrick = 'honest' | 'high-s' | 'wrong-amount';

export interface HostileMakerOptions {
  channel: MakerChannel;
  /** The offer as on the wire without `!`, e.g. `sw0absoffer 0 100000 90000000 0 5000000`. */
  offer: string;
  /** Coins listed in `!ioauth` (the first one's key signs the NaCl key). */
  coins: MakerUtxo[];
  privateKey(u: MakerUtxo): Uint8Array;
  cjAddress: string;
  changeAddress: string;
  network: Network;
  sig?: SigTrick;
  bond?: MakerBond | null;
  /** Awaited after `!tx` arrived and before the `!sig`s go out. */
  beforeSig?: () => Promise<void>;
}

export class HostileMaker {
  /** Takers that sent `!fill`, those that sent `!tx`, and those that got our `!sig`s. */
  readonly fills: string[] = [];
  readonly txs: string[] = [];
  readonly signedFor: string[] = [];
  private readonly sessions = new Map<string, { keys: NaclKeyPair; box: CjBox }>();
  private offs: Array<() => void> = [];

  constructor(private readonly o: HostileMakerOptions) {}

  get nick(): string {
    return this.o.channel.nick;
  }

  async start(): Promise<void> {
    this.offs.push(
      this.o.channel.onMessage((m) => void this.onMessage(m).catch(() => {})),
      this.o.channel.onRouteUp((announce) => announce(`!${this.o.offer}`)),
    );
    await this.o.channel.start();
    this.o.channel.announce(`!${this.o.offer}`);
  }

  async stop(): Promise<void> {
    for (const off of this.offs) off();
    this.offs = [];
    await this.o.channel.stop();
  }

  private async onMessage(m: InboundMessage): Promise<void> {
    for (const c of m.commands) {
      if (m.kind === 'pub') {
        if (c.name === 'orderbook' && !m.fromDirectory) await this.replyOffer(m);
        continue;
      }
      if (!isCoinjoinCommand(c.name)) continue;
      const p = parseCoinjoinCommand(c.name, c.rest);
      if (!p.ok) continue;
      const msg = p.value;
      if (msg.cmd === 'fill') this.onFill(m, msg.takerNaclPub);
      else if (msg.cmd === 'auth') this.onAuth(m);
      else if (msg.cmd === 'tx') await this.onTx(m, msg.ciphertext);
    }
  }

  private async replyOffer(m: InboundMessage): Promise<void> {
    const sp = this.o.offer.indexOf(' ');
    const proof = this.o.bond ? `!tbond ${await this.o.bond.proofFor(m.from, this.nick)}` : '';
    m.reply(this.o.offer.slice(0, sp), this.o.offer.slice(sp + 1) + proof);
  }

  private onFill(m: InboundMessage, takerNaclPubHex: string): void {
    const keys = naclKeyPairFromSecret(randomPrivateKey());
    this.sessions.set(m.from, { keys, box: makeBox(keys.secretKey, hexToBytes(takerNaclPubHex)) });
    this.fills.push(m.from);
    m.reply('pubkey', keys.publicKeyHex);
  }

  private onAuth(m: InboundMessage): void {
    const s = this.sessions.get(m.from);
    if (!s) return;
    const authPriv = this.o.privateKey(this.o.coins[0]!);
    const plaintext = formatIoauth({
      utxos: this.o.coins, authPub: publicKeyOf(authPriv), cjAddress: this.o.cjAddress, changeAddress: this.o.changeAddress,
      btcSig: signNaclKeyOwnership(authPriv, s.keys.publicKeyHex),
    });
    m.reply('ioauth', this.encrypt(s.box, plaintext));
  }

  private async onTx(m: InboundMessage, ciphertext: string): Promise<void> {
    const s = this.sessions.get(m.from);
    const plain = s && decryptMessage(s.box, ciphertext);
    if (!s || !plain?.ok) return;
    this.txs.push(m.from);
    const tx = parseTxPlaintext(plain.value);
    if (!tx.ok) return;
    const ours = new Map(this.o.coins.map((u) => [outpointKey(u), u] as const));
    const trick = this.o.sig ?? 'honest';
    const toSign = tx.value.ins.flatMap((_, index) => {
      const u = ours.get(outpointKey(inputOutpoint(tx.value, index)));
      if (!u) return [];
      return [{ index, utxo: trick === 'wrong-amount' ? { ...u, valueSats: u.valueSats + 1_000 } : u }];
    });
    const sigs = signMakerInputs(tx.value, toSign, (u) => this.o.privateKey(u)).map((x) => (trick === 'high-s' ? highS(x.plaintext) : x.plaintext));
    await this.o.beforeSig?.();
    for (const p of sigs) m.reply('sig', this.encrypt(s.box, p));
    this.signedFor.push(m.from);
  }

  private encrypt(box: CjBox, plaintext: string): string {
    return encryptMessage(box, plaintext, randomPrivateKey().subarray(0, 24));
  }
}

function highS(plaintext: string): string {
  const p = parseSigPlaintext(plaintext);
  if (!p.ok) throw new Error(p.reason);
  return formatSigPlaintext(concatBytes(toHighS(p.value.signature.subarray(0, -1)), Uint8Array.of(1)), p.value.pubkey);
}
