/**
 * One coinjoin attempt with a fixed set of makers, taker side (coinjoin-protocol.md §3–§4):
 * `!fill` → `!pubkey` → `!auth` → `!ioauth` (every maker input checked on chain, the NaCl-key
 * ownership signature, change ≥ dust) → `!tx` → `!sig` (each verified against a maker input
 * with the amount from the chain, and refused unless the witness it makes is standard).
 *
 * Each maker has an explicit state (see `Step`); a message is handled only in the state that
 * expects it, so answers arriving together or out of order cannot interleave. Inputs and
 * addresses a maker lists are claimed before its chain lookups start, so two makers checked
 * concurrently cannot both get the same input in. Fails fast on a bad maker, naming it (and on
 * a timeout, the makers that did not answer), so the caller can retry without them.
 */
import type { Network, Transaction } from 'bitcoinjs-lib';
import { decryptMessage, encryptMessage, makeBox, naclKeyPairFromSecret, type CjBox } from '../protocol/coinjoin/box.js';
import { buildFill, isCoinjoinCommand, parseCoinjoinCommand, toBody } from '../protocol/coinjoin/messages.js';
import {
  MAX_MAKER_UTXOS, formatTxPlaintext, parseIoauth, parseSigPlaintext, verifyNaclKeyOwnership, type ParsedIoauth,
} from '../protocol/coinjoin/payloads.js';
import { podleCommitment, pubkeyOwnsScript, serializeRevelation, type PodleProof } from '../protocol/coinjoin/podle.js';
import { matchSignature, nonStandardSig, type PendingInput } from '../protocol/coinjoin/sign.js';
import { inputOutpoint, isP2wpkh } from '../protocol/coinjoin/tx-check.js';
import { outpointKey, type Outpoint } from '../protocol/coinjoin/utxo.js';
import { makerChange } from '../protocol/coinjoin/yield.js';
import { bytesToHex, hexToBytes } from '../protocol/crypto.js';
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

export type BuildResult = { ok: true; tx: Transaction } | { ok: false; reason: string; failed?: string[] };

export interface RoundDeps {
  makers: readonly RoundMaker[];
  amount: number;
  proof: PodleProof;
  /** Our own inputs (no maker may list them). */
  takerInputs: readonly Outpoint[];
  send(to: string, cmd: string, args: string): boolean;
  /** Builds the unsigned tx once every maker answered (refusing it may name makers to blame). */
  buildTx(makers: readonly MakerPart[]): BuildResult;
  /**
   * Asked each time a maker's inputs passed the chain checks, with every maker ready so far and
   * how many are still to come: a refusal (e.g. the miner fee can no longer fit) ends the round
   * before `!tx`, blaming the makers it names.
   */
  checkParts?(ready: readonly MakerPart[], pending: number): { reason: string; failed: string[] } | null;
  chain: TakerChain;
  network: Network;
  clock: Clock;
  log: Logger;
  randomBytes(n: number): Uint8Array;
  timeouts?: RoundTimeouts;
}

export type RoundResult =
  | { ok: true; tx: Transaction; makers: MakerPart[] }
  /** `signed`: makers that had signed every input; they keep those coins locked for a while. */
  | { ok: false; reason: string; failed: string[]; signed: string[] };

/** Where one maker is in the round. */
type Step =
  | { at: 'await-pubkey' }
  | { at: 'await-ioauth'; box: CjBox; makerPubHex: string }
  | { at: 'checking-ioauth'; box: CjBox }
  | { at: 'ready'; box: CjBox; part: MakerPart }
  | { at: 'await-sig'; box: CjBox; part: MakerPart; unsigned: PendingInput[] }
  | { at: 'signed'; part: MakerPart };

interface Maker {
  nick: string;
  offer: Offer;
  step: Step;
}

export class TakerRound {
  private readonly makers = new Map<string, Maker>();
  private readonly nacl;
  private readonly timeouts: RoundTimeouts;
  /** Outpoint / output script → the maker that listed it (ours are pre-claimed as ''). */
  private readonly claimedInputs = new Map<string, string>();
  private readonly claimedScripts = new Map<string, string>();
  private timer: Timer | null = null;
  private tx: Transaction | null = null;
  private done: ((r: RoundResult) => void) | null = null;
  private finished = false;

  constructor(private readonly d: RoundDeps) {
    this.timeouts = d.timeouts ?? DEFAULT_ROUND_TIMEOUTS;
    this.nacl = naclKeyPairFromSecret(d.randomBytes(32));
    for (const m of d.makers) this.makers.set(m.nick, { nick: m.nick, offer: m.offer, step: { at: 'await-pubkey' } });
    for (const o of d.takerInputs) this.claimedInputs.set(outpointKey(o), '');
  }

  run(): Promise<RoundResult> {
    return new Promise((resolve) => {
      this.done = resolve;
      const commitment = podleCommitment(this.d.proof.P2);
      for (const m of this.makers.values()) {
        const body = toBody(buildFill(m.offer.oid, this.d.amount, this.nacl.publicKeyHex, commitment));
        this.d.send(m.nick, 'fill', body.slice('!fill '.length));
      }
      // a maker whose !ioauth arrived is not late, even while our node is still checking it
      this.arm(this.timeouts.ioauthMs, 'makers did not send !ioauth in time', (m) => m.step.at === 'await-pubkey' || m.step.at === 'await-ioauth');
    });
  }

  /**
   * Every verified privmsg from anyone; only this round's makers matter. Nothing thrown here
   * reaches the caller (the directory connection): an exception is a bug of ours, so it ends
   * the round and blames nobody.
   */
  onMessage(from: string, commands: readonly Command[]): void {
    const m = this.makers.get(from);
    if (!m || this.finished) return;
    try {
      for (const c of commands) {
        if (this.finished) return;
        if (!isCoinjoinCommand(c.name)) continue;
        const parsed = parseCoinjoinCommand(c.name, c.rest);
        if (!parsed.ok) return this.fail(`${from}: ${parsed.reason}`, [from]);
        const msg = parsed.value;
        const s = m.step;
        if (msg.cmd === 'error') return this.fail(`${from} refused: ${msg.text.slice(0, 200)}`, [from]);
        if (msg.cmd === 'pubkey' && s.at === 'await-pubkey') this.onPubkey(m, msg.makerNaclPubHex);
        else if (msg.cmd === 'ioauth' && s.at === 'await-ioauth') this.onIoauth(m, s, msg.ciphertext).catch((e: unknown) => this.internalError(e));
        else if (msg.cmd === 'sig' && s.at === 'await-sig') this.onSig(m, s, msg.ciphertext);
        else this.d.log.debug({ maker: from, cmd: msg.cmd, at: s.at }, 'ignoring a message this maker is not at');
      }
    } catch (e) {
      this.internalError(e);
    }
  }

  private internalError(e: unknown): void {
    this.fail(`internal error: ${(e as Error).message}`, []);
  }

  /** Aborts (e.g. the taker is stopping). */
  abort(reason: string): void {
    this.fail(reason, []);
  }

  private onPubkey(m: Maker, makerPubHex: string): void {
    const box = makeBox(this.nacl.secretKey, hexToBytes(makerPubHex));
    m.step = { at: 'await-ioauth', box, makerPubHex };
    this.d.send(m.nick, 'auth', encryptMessage(box, serializeRevelation(this.d.proof), this.d.randomBytes(24)));
  }

  private async onIoauth(m: Maker, s: Extract<Step, { at: 'await-ioauth' }>, ciphertext: string): Promise<void> {
    m.step = { at: 'checking-ioauth', box: s.box };
    const plain = decryptMessage(s.box, ciphertext);
    if (!plain.ok) return this.fail(`${m.nick}: !ioauth ${plain.reason}`, [m.nick]);
    const io = parseIoauth(plain.value, this.d.network);
    if (!io.ok) return this.fail(`${m.nick}: ${io.reason}`, [m.nick]);
    if (!verifyNaclKeyOwnership(io.value, s.makerPubHex)) return this.fail(`${m.nick}: btc_sig does not verify over our NaCl channel`, [m.nick]);
    if (io.value.utxos.length > MAX_MAKER_UTXOS) return this.fail(`${m.nick}: too many inputs (${io.value.utxos.length})`, [m.nick]);
    const clash = this.claim(m.nick, io.value);
    if (clash) return this.fail(clash.reason, clash.failed);
    let part;
    try {
      part = await this.checkOnChain(m, io.value);
    } catch (e) {
      // our node's failure (RPC error, timeout), not the maker's
      return this.fail(`our node could not check ${m.nick}'s inputs: ${(e as Error).message}`, []);
    }
    if (this.finished) return;
    if (typeof part === 'string') return this.fail(`${m.nick}: ${part}`, [m.nick]);
    m.step = { at: 'ready', box: s.box, part };
    const ready = [...this.makers.values()].flatMap((x) => (x.step.at === 'ready' ? [x.step.part] : []));
    const over = this.d.checkParts?.(ready, this.makers.size - ready.length);
    if (over) return this.fail(over.reason, over.failed);
    if (ready.length === this.makers.size) this.sendTx();
  }

  /** Claims the listed inputs and addresses before any await; a clash names everyone involved. */
  private claim(nick: string, io: ParsedIoauth): { reason: string; failed: string[] } | null {
    const inputs = io.utxos.map(outpointKey);
    const scripts = [bytesToHex(io.cjScript), bytesToHex(io.changeScript)];
    if (new Set(inputs).size !== inputs.length) return { reason: `${nick}: lists an input twice`, failed: [nick] };
    if (scripts[0] === scripts[1]) return { reason: `${nick}: coinjoin and change address are the same`, failed: [nick] };
    for (const k of inputs) {
      const owner = this.claimedInputs.get(k);
      if (owner === '') return { reason: `${nick}: lists our own input ${k}`, failed: [nick] };
      // who lies is unknown: both are dropped, so a maker cannot push out an honest one this way
      if (owner !== undefined) return { reason: `input ${k} listed by both ${owner} and ${nick}`, failed: [owner, nick] };
    }
    for (const h of scripts) {
      const owner = this.claimedScripts.get(h);
      if (owner !== undefined) return { reason: `address already used by ${owner}, listed again by ${nick}`, failed: [owner, nick] };
    }
    for (const k of inputs) this.claimedInputs.set(k, nick);
    for (const h of scripts) this.claimedScripts.set(h, nick);
    return null;
  }

  /** Every input exists unspent, confirmed and P2WPKH (values and scripts from our node), auth_pub owns one, change ≥ dust. */
  private async checkOnChain(m: Maker, io: ParsedIoauth): Promise<MakerPart | string> {
    const inputs: MakerPart['inputs'][number][] = [];
    let authOwns = false;
    for (const u of io.utxos) {
      const info = await this.d.chain.getUtxo(u);
      if (this.finished) return 'round over';
      if (!info) return `input ${outpointKey(u)} does not exist or is spent`;
      if (info.confirmations < 1) return `input ${outpointKey(u)} is unconfirmed`;
      if (!isP2wpkh(info.scriptPubKey)) return `input ${outpointKey(u)} is not P2WPKH`;
      if (pubkeyOwnsScript(io.authPub, info.scriptPubKey)) authOwns = true;
      inputs.push({ ...u, valueSats: info.valueSats, scriptPubKey: info.scriptPubKey });
    }
    if (!authOwns) return 'auth_pub owns none of the listed inputs';
    const total = inputs.reduce((s, u) => s + u.valueSats, 0);
    const change = makerChange(m.offer, this.d.amount, total);
    if (change < BigInt(DUST_THRESHOLD)) return `maker change ${change} below ${DUST_THRESHOLD}`;
    return { nick: m.nick, offer: m.offer, inputs, cjScript: io.cjScript, changeScript: io.changeScript };
  }

  private sendTx(): void {
    this.disarm();
    const ready = [...this.makers.values()].map((m) => m.step as Extract<Step, { at: 'ready' }>);
    const built = this.d.buildTx(ready.map((s) => s.part));
    if (!built.ok) return this.fail(`cannot build the transaction: ${built.reason}`, built.failed ?? []);
    const tx = built.tx;
    this.tx = tx;
    const index = new Map<string, number>();
    tx.ins.forEach((_, i) => index.set(outpointKey(inputOutpoint(tx, i)), i));
    const plaintext = formatTxPlaintext(tx);
    for (const m of this.makers.values()) {
      const { box, part } = m.step as Extract<Step, { at: 'ready' }>;
      // each pending input is found by its outpoint, never by position
      const unsigned = part.inputs.map((u) => ({ index: index.get(outpointKey(u)) ?? -1, scriptPubKey: u.scriptPubKey, valueSats: u.valueSats }));
      if (unsigned.some((u) => u.index < 0)) return this.fail('internal: a maker input is missing from the built transaction', []);
      m.step = { at: 'await-sig', box, part, unsigned };
    }
    for (const m of this.makers.values()) {
      const { box } = m.step as Extract<Step, { at: 'await-sig' }>;
      this.d.send(m.nick, 'tx', encryptMessage(box, plaintext, this.d.randomBytes(24)));
    }
    this.arm(this.timeouts.sigMs, 'makers did not sign in time', (m) => m.step.at !== 'signed');
  }

  private onSig(m: Maker, s: Extract<Step, { at: 'await-sig' }>, ciphertext: string): void {
    const tx = this.tx!;
    const plain = decryptMessage(s.box, ciphertext);
    const sig = plain.ok ? parseSigPlaintext(plain.value) : plain;
    if (!sig.ok) return this.fail(`${m.nick}: !sig ${sig.reason}`, [m.nick]);
    const bad = nonStandardSig(sig.value);
    if (bad) return this.fail(`${m.nick}: !sig ${bad}`, [m.nick]);
    const idx = matchSignature(tx, sig.value, s.unsigned);
    if (idx === null) return this.fail(`${m.nick}: signature matches none of its unsigned inputs`, [m.nick]);
    tx.setWitness(idx, [sig.value.signature, sig.value.pubkey]);
    s.unsigned = s.unsigned.filter((x) => x.index !== idx);
    if (s.unsigned.length === 0) m.step = { at: 'signed', part: s.part };
    if ([...this.makers.values()].every((x) => x.step.at === 'signed')) {
      this.finish({ ok: true, tx, makers: [...this.makers.values()].map((x) => (x.step as Extract<Step, { at: 'signed' }>).part) });
    }
  }

  private arm(ms: number, reason: string, late: (m: Maker) => boolean): void {
    this.disarm();
    this.timer = this.d.clock.setTimeout(() => {
      this.timer = null;
      const failed = [...this.makers.values()].filter(late).map((m) => m.nick);
      this.fail(failed.length > 0 ? reason : "our node did not finish checking the makers' inputs in time", failed);
    }, ms);
  }

  private disarm(): void {
    if (this.timer !== null) this.d.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private fail(reason: string, failed: string[]): void {
    if (this.finished) return;
    this.d.log.warn({ reason, failed }, 'coinjoin round failed');
    const signed = [...this.makers.values()].filter((m) => m.step.at === 'signed').map((m) => m.nick);
    this.finish({ ok: false, reason, failed, signed });
  }

  private finish(r: RoundResult): void {
    if (this.finished) return;
    this.finished = true;
    this.disarm();
    this.done?.(r);
  }
}
