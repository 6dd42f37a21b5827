/**
 * One coinjoin with one taker, maker side (coinjoin-protocol.md §3, §4.3–§4.8, §6.3, §7):
 * `!pubkey` → `!auth` (PoDLE, taker utxo on chain) → `!ioauth` → `!tx` (§7 checks against our
 * own records) → `!sig` per input. Every wait has a timeout; a session that stalls or is
 * refused closes and unlocks its coins. Refusals after `!fill` are silent, as REF does.
 */
import { address as bjsAddress, type Network, type Transaction } from 'bitcoinjs-lib';
import { decryptMessage, encryptMessage, makeBox, naclKeyPairFromSecret, type CjBox, type NaclKeyPair } from '../protocol/coinjoin/box.js';
import type { AcceptedFill } from '../protocol/coinjoin/messages.js';
import { formatIoauth, parseTxPlaintext, signNaclKeyOwnership } from '../protocol/coinjoin/payloads.js';
import { checkPodleUtxo, DEFAULT_PODLE_INDICES, parseRevelation, verifyPodle } from '../protocol/coinjoin/podle.js';
import { signMakerInputs } from '../protocol/coinjoin/sign.js';
import { verifyUnsignedTx } from '../protocol/coinjoin/tx-check.js';
import { parseUtxoString } from '../protocol/coinjoin/utxo.js';
import { publicKeyOf } from '../protocol/crypto.js';
import type { Clock, Timer } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { CommitmentBlacklist } from './commitments.js';
import { selectOrderInputs, type OrderInputs, type OrderPolicy } from './order-inputs.js';
import type { MakerChain, MakerCoin, MakerWallet } from './ports.js';

export interface SessionTimeouts {
  /** `!pubkey` sent → `!auth` received. */
  authMs: number;
  /** `!ioauth` sent → `!tx` received (REF takers wait up to 60 s for all makers first). */
  txMs: number;
}
export const DEFAULT_SESSION_TIMEOUTS: SessionTimeouts = { authMs: 60_000, txMs: 120_000 };

export type SessionState = 'await-auth' | 'checking-auth' | 'await-tx' | 'signed' | 'closed';

export interface SignedCoinjoin {
  takerNick: string;
  txid: string;
  tx: Transaction;
  amount: number;
  realCjFee: bigint;
  txfee: number;
  /** real_cjfee − txfee. */
  earned: bigint;
  mixdepth: number;
  coins: MakerCoin[];
  cjAddress: string;
  changeAddress: string;
  /** Index of our cj output (used to watch the tx). */
  cjVout: number;
}

export interface MakerSessionDeps {
  takerNick: string;
  fill: AcceptedFill;
  send(cmd: 'pubkey' | 'ioauth' | 'sig' | 'error', args: string): boolean;
  wallet: MakerWallet;
  chain: MakerChain;
  commitments: CommitmentBlacklist;
  network: Network;
  clock: Clock;
  /** The session adds the taker's nick to its lines (no child logger per session: thousands may wait for `!auth`). */
  log: Logger;
  randomBytes(n: number): Uint8Array;
  /** Our session keypair; default: derived from randomBytes(32). */
  keyPair?: NaclKeyPair;
  timeouts?: SessionTimeouts;
  policy?: OrderPolicy;
  podleIndices?: readonly number[];
  /** After `!ioauth` went out: the commitment is now used (gossip it). */
  onIoauth?(commitmentHex: string): void;
  onSigned?(r: SignedCoinjoin): void;
  onClosed?(reason: string): void;
}

export class MakerSession {
  private _state: SessionState = 'await-auth';
  private readonly keys: NaclKeyPair;
  /** The shared key, computed when the first encrypted message needs it (most sessions never reach `!auth`). */
  private sharedBox: CjBox | null = null;
  private readonly timeouts: SessionTimeouts;
  private timer: Timer | null = null;
  private order: OrderInputs | null = null;
  private _closeReason: string | null = null;

  /** When the session was created (the `!fill` accepted). */
  readonly startedAt: number;

  constructor(private readonly d: MakerSessionDeps) {
    this.startedAt = d.clock.now();
    this.timeouts = d.timeouts ?? DEFAULT_SESSION_TIMEOUTS;
    this.keys = d.keyPair ?? naclKeyPairFromSecret(d.randomBytes(32));
  }

  get state(): SessionState {
    return this._state;
  }
  get closeReason(): string | null {
    return this._closeReason;
  }
  get naclPublicKeyHex(): string {
    return this.keys.publicKeyHex;
  }
  get commitmentHex(): string {
    return this.d.fill.commitmentHex;
  }

  /** Sends `!pubkey` and waits for `!auth`. */
  start(): void {
    this.d.send('pubkey', this.keys.publicKeyHex);
    this.arm(this.timeouts.authMs, 'no !auth in time');
  }

  /** An encrypted command from this taker. Out-of-order commands are ignored. */
  async handle(cmd: 'auth' | 'tx', ciphertext: string): Promise<void> {
    if (cmd === 'auth' && this._state === 'await-auth') return this.onAuth(ciphertext);
    if (cmd === 'tx' && this._state === 'await-tx') return this.onTx(ciphertext);
    this.d.log.debug({ taker: this.d.takerNick, cmd, state: this._state }, 'ignoring out-of-order command');
  }

  close(reason: string): void {
    if (this._state === 'closed') return;
    const wasSigned = this._state === 'signed';
    this._state = 'closed';
    this._closeReason = reason;
    this.disarm();
    // signed coins stay locked until the bot has seen the tx or given up on it
    if (!wasSigned && this.order) this.d.wallet.unlock(this.order.coins);
    if (!this.d.commitments.isUsed(this.d.fill.commitmentHex)) this.d.commitments.release(this.d.fill.commitmentHex);
    // a session that never got past !auth is anyone's for the asking: not worth an info line each
    const level = this.order === null && !wasSigned ? 'debug' : 'info';
    this.d.log[level]({ taker: this.d.takerNick, reason }, wasSigned ? 'session finished' : 'session closed');
    this.d.onClosed?.(reason);
  }

  private async onAuth(ciphertext: string): Promise<void> {
    this._state = 'checking-auth';
    this.disarm();
    const { fill } = this.d;
    const plain = decryptMessage(this.box(), ciphertext);
    if (!plain.ok) return this.close(`!auth: ${plain.reason}`);
    const proof = parseRevelation(plain.value);
    if (!proof.ok) return this.close(`!auth: ${proof.reason}`);
    const podle = verifyPodle(proof.value, fill.commitment, this.d.podleIndices ?? DEFAULT_PODLE_INDICES);
    if (!podle.ok) return this.close(`!auth: ${podle.reason}`);
    const outpoint = parseUtxoString(proof.value.utxo);
    if (!outpoint.ok) return this.close(`!auth: ${outpoint.reason}`);
    let info;
    try {
      info = await this.d.chain.getUtxo(outpoint.value);
    } catch (e) {
      return this.close(`!auth: utxo lookup failed: ${(e as Error).message}`);
    }
    if (this._state !== 'checking-auth') return; // replaced or stopped meanwhile
    if (!info) return this.close('!auth: commitment utxo does not exist or is spent');
    const owned = checkPodleUtxo(info, proof.value.P, fill.amount);
    if (!owned.ok) return this.close(`!auth: ${owned.reason}`);

    const order = selectOrderInputs(this.d.wallet, fill.offer, fill.amount, this.d.policy);
    if (!order) return this.close('no mixdepth can fund this amount');
    this.order = order;
    this.d.wallet.lock(order.coins);
    const first = order.coins[0] as MakerCoin;
    const authPriv = this.d.wallet.privateKey(first);
    const plaintext = formatIoauth({
      utxos: order.coins,
      authPub: publicKeyOf(authPriv),
      cjAddress: order.cjAddress,
      changeAddress: order.changeAddress,
      btcSig: signNaclKeyOwnership(authPriv, this.keys.publicKeyHex),
    });
    this._state = 'await-tx';
    this.d.send('ioauth', this.encrypt(plaintext));
    this.arm(this.timeouts.txMs, 'no !tx in time');
    // used from now on, whatever happens next (§6.4)
    this.d.commitments.add(fill.commitmentHex).catch((e: unknown) => this.d.log.error({ err: (e as Error).message }, 'could not record the commitment as used'));
    this.d.onIoauth?.(fill.commitmentHex);
  }

  private onTx(ciphertext: string): void {
    const order = this.order;
    if (!order) return this.close('internal: no order');
    const plain = decryptMessage(this.box(), ciphertext);
    if (!plain.ok) return this.close(`!tx: ${plain.reason}`);
    const tx = parseTxPlaintext(plain.value);
    if (!tx.ok) return this.close(`!tx: ${tx.reason}`);
    const check = verifyUnsignedTx(
      tx.value,
      { utxos: order.coins, cjAddress: order.cjAddress, changeAddress: order.changeAddress, amount: this.d.fill.amount, offer: this.d.fill.offer },
      this.d.network,
    );
    if (!check.ok) return this.close(`refused !tx: ${check.reason}`);
    let sigs;
    try {
      sigs = signMakerInputs(check.tx, check.toSign, (u) => this.d.wallet.privateKey(u));
    } catch (e) {
      return this.close(`signing failed: ${(e as Error).message}`);
    }
    this.disarm();
    this._state = 'signed';
    for (const s of sigs) this.d.send('sig', this.encrypt(s.plaintext));
    const cjScript = Buffer.from(bjsAddress.toOutputScript(order.cjAddress, this.d.network));
    const cjVout = check.tx.outs.findIndex((o) => cjScript.equals(Buffer.from(o.script)));
    this.d.onSigned?.({
      takerNick: this.d.takerNick,
      txid: check.tx.getId(),
      tx: check.tx,
      amount: this.d.fill.amount,
      realCjFee: check.realCjFee,
      txfee: this.d.fill.offer.txfee,
      earned: check.realCjFee - BigInt(this.d.fill.offer.txfee),
      mixdepth: order.mixdepth,
      coins: order.coins,
      cjAddress: order.cjAddress,
      changeAddress: order.changeAddress,
      cjVout,
    });
  }

  private box(): CjBox {
    this.sharedBox ??= makeBox(this.keys.secretKey, this.d.fill.takerNaclPub);
    return this.sharedBox;
  }

  private encrypt(plaintext: string): string {
    return encryptMessage(this.box(), plaintext, this.d.randomBytes(24));
  }

  private arm(ms: number, reason: string): void {
    this.disarm();
    this.timer = this.d.clock.setTimeout(() => {
      this.timer = null;
      this.close(reason);
    }, ms);
  }

  private disarm(): void {
    if (this.timer !== null) this.d.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
