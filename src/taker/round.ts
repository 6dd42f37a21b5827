/**
 * One coinjoin attempt with a fixed set of makers, taker side (coinjoin-protocol.md §3–§4):
 * `!fill` → `!pubkey` → `!auth` → `!ioauth` (every maker input checked on chain, the NaCl-key
 * ownership signature, change ≥ dust) → `!tx` → `!sig` (each verified against a maker input
 * with the amount from the chain). Fails fast on a bad maker, and on a timeout names the
 * makers that did not answer, so the caller can retry without them.
 */
import type { Network, Transaction } from 'bitcoinjs-lib';
import { decryptMessage, encryptMessage, makeBox, naclKeyPairFromSecret, type CjBox } from '../protocol/coinjoin/box.js';
import { buildFill, isCoinjoinCommand, parseCoinjoinCommand, toBody } from '../protocol/coinjoin/messages.js';
import {
  MAX_MAKER_UTXOS, formatTxPlaintext, parseIoauth, parseSigPlaintext, verifyNaclKeyOwnership, type ParsedIoauth,
} from '../protocol/coinjoin/payloads.js';
import { podleCommitment, pubkeyOwnsScript, serializeRevelation, type PodleProof } from '../protocol/coinjoin/podle.js';
import { matchSignature, type PendingInput } from '../protocol/coinjoin/sign.js';
import { inputOutpoint, isP2wpkh } from '../protocol/coinjoin/tx-check.js';
import { outpointKey, type Outpoint } from '../protocol/coinjoin/utxo.js';
import { makerChange } from '../protocol/coinjoin/yield.js';
import { hexToBytes } from '../protocol/crypto.js';
import { DUST_THRESHOLD, type Command, type Offer } from '../protocol/offers.js';
import type { Clock, Timer } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { TakerChain } from './ports.js';
import type { MakerPart } from './tx-build.js';

export interface RoundTimeouts {
  /** `!fill` → every maker's `!ioauth` (REF 60 s). */
  ioauthMs: number;
  /** `!tx` → every `!sig` (NG 60 s). */
  sigMs: number;
}
export const DEFAULT_ROUND_TIMEOUTS: RoundTimeouts = { ioauthMs: 60_000, sigMs: 60_000 };

export interface RoundMaker {
  nick: string;
  offer: Offer;
}

export interface RoundDeps {
  makers: readonly RoundMaker[];
  amount: number;
  proof: PodleProof;
  /** Our own inputs (no maker may list them). */
  takerInputs: readonly Outpoint[];
  send(to: string, cmd: string, args: string): boolean;
  /** Builds the unsigned tx once every maker answered. */
  buildTx(makers: readonly MakerPart[]): { ok: true; tx: Transaction } | { ok: false; reason: string };
  chain: TakerChain;
  network: Network;
  clock: Clock;
  log: Logger;
  randomBytes(n: number): Uint8Array;
  timeouts?: RoundTimeouts;
}

export type RoundResult =
  | { ok: true; tx: Transaction; makers: MakerPart[] }
  | { ok: false; reason: string; failed: string[] };

type MakerState = 'filled' | 'authed' | 'checking' | 'ready' | 'signing' | 'signed';

interface Peer {
  nick: string;
  offer: Offer;
  state: MakerState;
  box: CjBox | null;
  makerPubHex: string;
  part: MakerPart | null;
  pending: PendingInput[];
}

export class TakerRound {
  private readonly peers = new Map<string, Peer>();
  private readonly nacl;
  private readonly timeouts: RoundTimeouts;
  private timer: Timer | null = null;
  private tx: Transaction | null = null;
  private done: ((r: RoundResult) => void) | null = null;
  private finished = false;

  constructor(private readonly d: RoundDeps) {
    this.timeouts = d.timeouts ?? DEFAULT_ROUND_TIMEOUTS;
    this.nacl = naclKeyPairFromSecret(d.randomBytes(32));
    for (const m of d.makers) this.peers.set(m.nick, { nick: m.nick, offer: m.offer, state: 'filled', box: null, makerPubHex: '', part: null, pending: [] });
  }

  run(): Promise<RoundResult> {
    return new Promise((resolve) => {
      this.done = resolve;
      const commitment = podleCommitment(this.d.proof.P2);
      for (const p of this.peers.values()) {
        const body = toBody(buildFill(p.offer.oid, this.d.amount, this.nacl.publicKeyHex, commitment));
        this.d.send(p.nick, 'fill', body.slice('!fill '.length));
      }
      this.arm(this.timeouts.ioauthMs, 'makers did not send !ioauth in time', (p) => p.state !== 'ready');
    });
  }

  /** Every verified privmsg from anyone; only this round's makers matter. */
  onMessage(from: string, commands: readonly Command[]): void {
    const p = this.peers.get(from);
    if (!p || this.finished) return;
    for (const c of commands) {
      if (!isCoinjoinCommand(c.name)) continue;
      const m = parseCoinjoinCommand(c.name, c.rest);
      if (!m.ok) return this.fail(`${from}: ${m.reason}`, [from]);
      const msg = m.value;
      if (msg.cmd === 'error') return this.fail(`${from} refused: ${msg.text.slice(0, 200)}`, [from]);
      if (msg.cmd === 'pubkey' && p.state === 'filled') this.onPubkey(p, msg.makerNaclPubHex);
      else if (msg.cmd === 'ioauth' && p.state === 'authed') void this.onIoauth(p, msg.ciphertext);
      else if (msg.cmd === 'sig' && p.state === 'signing') this.onSig(p, msg.ciphertext);
    }
  }

  /** Aborts (e.g. the taker is stopping). */
  abort(reason: string): void {
    this.fail(reason, []);
  }

  private onPubkey(p: Peer, makerPubHex: string): void {
    p.box = makeBox(this.nacl.secretKey, hexToBytes(makerPubHex));
    p.makerPubHex = makerPubHex;
    p.state = 'authed';
    this.d.send(p.nick, 'auth', this.encrypt(p, serializeRevelation(this.d.proof)));
  }

  private async onIoauth(p: Peer, ciphertext: string): Promise<void> {
    p.state = 'checking';
    const plain = decryptMessage(p.box!, ciphertext);
    if (!plain.ok) return this.fail(`${p.nick}: !ioauth ${plain.reason}`, [p.nick]);
    const io = parseIoauth(plain.value, this.d.network);
    if (!io.ok) return this.fail(`${p.nick}: ${io.reason}`, [p.nick]);
    const part = await this.checkIoauth(p, io.value);
    if (this.finished) return;
    if (typeof part === 'string') return this.fail(`${p.nick}: ${part}`, [p.nick]);
    p.part = part;
    p.state = 'ready';
    if ([...this.peers.values()].every((x) => x.state === 'ready')) this.sendTx();
  }

  private async checkIoauth(p: Peer, io: ParsedIoauth): Promise<MakerPart | string> {
    if (!verifyNaclKeyOwnership(io, p.makerPubHex)) return 'btc_sig does not verify over our NaCl channel';
    if (io.utxos.length > MAX_MAKER_UTXOS) return `too many inputs (${io.utxos.length})`;
    const taken = new Set(this.d.takerInputs.map(outpointKey));
    for (const other of this.peers.values()) if (other !== p && other.part) for (const u of other.part.inputs) taken.add(outpointKey(u));
    const scripts = new Set<string>();
    for (const other of this.peers.values()) if (other !== p && other.part) for (const s of [other.part.cjScript, other.part.changeScript]) scripts.add(Buffer.from(s).toString('hex'));
    if (scripts.has(Buffer.from(io.cjScript).toString('hex')) || scripts.has(Buffer.from(io.changeScript).toString('hex'))) return 'address already used by another maker';
    const inputs: MakerPart['inputs'][number][] = [];
    let authOwns = false;
    for (const u of io.utxos) {
      if (taken.has(outpointKey(u))) return `input ${outpointKey(u)} is already in the round`;
      const info = await this.d.chain.getUtxo(u);
      if (!info) return `input ${outpointKey(u)} does not exist or is spent`;
      if (info.confirmations < 1) return `input ${outpointKey(u)} is unconfirmed`;
      if (!isP2wpkh(info.scriptPubKey)) return `input ${outpointKey(u)} is not P2WPKH`;
      if (pubkeyOwnsScript(io.authPub, info.scriptPubKey)) authOwns = true;
      inputs.push({ ...u, valueSats: info.valueSats });
      p.pending.push({ index: -1, scriptPubKey: info.scriptPubKey, valueSats: info.valueSats });
    }
    if (!authOwns) return 'auth_pub owns none of the listed inputs';
    const total = inputs.reduce((s, u) => s + u.valueSats, 0);
    const change = makerChange(p.offer, this.d.amount, total);
    if (change < BigInt(DUST_THRESHOLD)) return `maker change ${change} below ${DUST_THRESHOLD}`;
    return { nick: p.nick, offer: p.offer, inputs, cjScript: io.cjScript, changeScript: io.changeScript };
  }

  private sendTx(): void {
    this.disarm();
    const parts = [...this.peers.values()].map((p) => p.part!);
    const built = this.d.buildTx(parts);
    if (!built.ok) return this.fail(`cannot build the transaction: ${built.reason}`, []);
    const tx = built.tx;
    this.tx = tx;
    const index = new Map<string, number>();
    tx.ins.forEach((_, i) => index.set(outpointKey(inputOutpoint(tx, i)), i));
    if (index.size !== tx.ins.length) return this.fail('two makers listed the same input', []);
    for (const p of this.peers.values()) {
      p.pending = p.part!.inputs.map((u, k) => ({ ...p.pending[k]!, index: index.get(outpointKey(u)) ?? -1 }));
      p.state = 'signing';
    }
    const plaintext = formatTxPlaintext(tx);
    for (const p of this.peers.values()) this.d.send(p.nick, 'tx', this.encrypt(p, plaintext));
    this.arm(this.timeouts.sigMs, 'makers did not sign in time', (p) => p.state !== 'signed');
  }

  private onSig(p: Peer, ciphertext: string): void {
    const tx = this.tx!;
    const plain = decryptMessage(p.box!, ciphertext);
    const sig = plain.ok ? parseSigPlaintext(plain.value) : plain;
    if (!sig.ok) return this.fail(`${p.nick}: !sig ${sig.reason}`, [p.nick]);
    const idx = matchSignature(tx, sig.value, p.pending);
    if (idx === null) return this.fail(`${p.nick}: signature matches none of its inputs`, [p.nick]);
    tx.setWitness(idx, [sig.value.signature, sig.value.pubkey]);
    p.pending = p.pending.filter((x) => x.index !== idx);
    if (p.pending.length === 0) p.state = 'signed';
    if ([...this.peers.values()].every((x) => x.state === 'signed')) {
      this.finish({ ok: true, tx, makers: [...this.peers.values()].map((x) => x.part!) });
    }
  }

  private encrypt(p: Peer, plaintext: string): string {
    return encryptMessage(p.box!, plaintext, this.d.randomBytes(24));
  }

  private arm(ms: number, reason: string, late: (p: Peer) => boolean): void {
    this.disarm();
    this.timer = this.d.clock.setTimeout(() => {
      this.timer = null;
      this.fail(reason, [...this.peers.values()].filter(late).map((p) => p.nick));
    }, ms);
  }

  private disarm(): void {
    if (this.timer !== null) this.d.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private fail(reason: string, failed: string[]): void {
    this.d.log.info({ reason, failed }, 'coinjoin round failed');
    this.finish({ ok: false, reason, failed });
  }

  private finish(r: RoundResult): void {
    if (this.finished) return;
    this.finished = true;
    this.disarm();
    this.done?.(r);
  }
}
