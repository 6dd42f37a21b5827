/** The taker's side of one round built from the pure modules, for driving a MakerSession in tests. */
import { Transaction } from 'bitcoinjs-lib';
import { decryptMessage, encryptMessage, makeBox, naclKeyPairFromSecret, type CjBox } from '../../../src/protocol/coinjoin/box.js';
import { buildFill, toBody } from '../../../src/protocol/coinjoin/messages.js';
import { formatTxPlaintext, parseIoauth, parseSigPlaintext, type ParsedIoauth } from '../../../src/protocol/coinjoin/payloads.js';
import { generatePodle, podleCommitment, serializeRevelation, type PodleProof } from '../../../src/protocol/coinjoin/podle.js';
import { hexToBytes } from '../../../src/protocol/crypto.js';
import { cjFeeFor, type Offer } from '../../../src/protocol/offers.js';
import { parseCoinjoinCommand } from '../../../src/protocol/coinjoin/messages.js';
import { FakeChain, NET, keyFor, p2wpkhOf, randomTxid } from './fakes.js';

const nonce = (): Uint8Array => keyFor('nonce').subarray(0, 24);

export class ScriptedTaker {
  readonly nacl = naclKeyPairFromSecret(keyFor('nacl'));
  readonly key = keyFor('taker');
  readonly utxo = `${randomTxid('taker')}:0`;
  readonly proof: PodleProof;
  box: CjBox | null = null;

  constructor(index = 0) {
    this.proof = generatePodle(this.key, this.utxo, index, keyFor('k'));
  }

  get commitmentHex(): string {
    return Buffer.from(podleCommitment(this.proof.P2)).toString('hex');
  }

  /** Makes the committed utxo exist on the fake chain. */
  register(chain: FakeChain, valueSats: number, confirmations = 10, script = p2wpkhOf(this.key).script): void {
    chain.utxos.set(this.utxo, { valueSats, confirmations, scriptPubKey: script });
  }

  fill(oid: number, amount: number): string {
    return toBody(buildFill(oid, amount, this.nacl.publicKeyHex, podleCommitment(this.proof.P2)));
  }

  /** Reads a `!pubkey` reply's args and sets up the box. */
  onPubkey(args: string): void {
    const m = parseCoinjoinCommand('pubkey', args);
    if (!m.ok || m.value.cmd !== 'pubkey') throw new Error('bad pubkey');
    this.box = makeBox(this.nacl.secretKey, hexToBytes(m.value.makerNaclPubHex));
  }

  encrypt(plaintext: string): string {
    if (!this.box) throw new Error('no box');
    return encryptMessage(this.box, plaintext, nonce());
  }

  auth(proof: PodleProof = this.proof): string {
    return this.encrypt(serializeRevelation(proof));
  }

  ioauth(ciphertext: string): ParsedIoauth {
    const p = decryptMessage(this.box!, ciphertext);
    if (!p.ok) throw new Error(p.reason);
    const io = parseIoauth(p.value, NET);
    if (!io.ok) throw new Error(io.reason);
    return io.value;
  }

  sig(ciphertext: string): ReturnType<typeof parseSigPlaintext> {
    const p = decryptMessage(this.box!, ciphertext);
    if (!p.ok) throw new Error(p.reason);
    return parseSigPlaintext(p.value);
  }

  /** An honest tx paying the maker; `tamper` may edit it before it is sent. */
  tx(io: ParsedIoauth, makerInputTotal: number, amount: number, offer: Offer, tamper?: (tx: Transaction) => void): { tx: Transaction; ciphertext: string } {
    const tx = new Transaction();
    tx.version = 2;
    tx.addInput(hexToBytes(this.utxo.slice(0, 64)).reverse(), 0, 0xfffffffe);
    for (const u of io.utxos) tx.addInput(hexToBytes(u.txid).reverse(), u.vout, 0xfffffffe);
    const change = BigInt(makerInputTotal) - BigInt(amount) - BigInt(offer.txfee) + cjFeeFor(offer, amount);
    tx.addOutput(io.cjScript, BigInt(amount));
    tx.addOutput(io.changeScript, change);
    tx.addOutput(p2wpkhOf(this.key).script, BigInt(amount));
    tamper?.(tx);
    return { tx, ciphertext: this.encrypt(formatTxPlaintext(tx)) };
  }
}
