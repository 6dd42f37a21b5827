/** One maker/taker round through every pure module (coinjoin §3), no network. */
import { describe, expect, it } from 'vitest';
import { Transaction, networks, payments } from 'bitcoinjs-lib';
import { decryptMessage, encryptMessage, makeBox, naclKeyPairFromSecret } from '../../../src/protocol/coinjoin/box.js';
import { buildFill, checkFill, parseCoinjoinCommand, toBody } from '../../../src/protocol/coinjoin/messages.js';
import {
  formatIoauth,
  formatTxPlaintext,
  parseIoauth,
  parseSigPlaintext,
  parseTxPlaintext,
  signNaclKeyOwnership,
  verifyNaclKeyOwnership,
} from '../../../src/protocol/coinjoin/payloads.js';
import { generatePodle, parseRevelation, podleCommitment, serializeRevelation, verifyPodle } from '../../../src/protocol/coinjoin/podle.js';
import { matchSignature, signMakerInputs } from '../../../src/protocol/coinjoin/sign.js';
import { verifyUnsignedTx, type MakerUtxo } from '../../../src/protocol/coinjoin/tx-check.js';
import { takerChange } from '../../../src/protocol/coinjoin/taker-choice.js';
import { hexToBytes, publicKeyOf } from '../../../src/protocol/crypto.js';
import { parseOffer, splitCommands } from '../../../src/protocol/offers.js';

const net = networks.regtest;
const p2wpkh = (priv: Uint8Array): payments.Payment => payments.p2wpkh({ pubkey: publicKeyOf(priv), network: net });
const nonce = (b: number): Uint8Array => new Uint8Array(24).fill(b);

describe('full round', () => {
  it('fill → pubkey → auth → ioauth → tx → sig', () => {
    const AMOUNT = 2_000_000;
    // Maker announces; taker parses the offer from the wire body.
    const [cmd] = splitCommands('!sw0reloffer 0 27300 5000000 100 0.0002');
    const offerR = cmd && parseOffer(cmd.name, cmd.args);
    if (!offerR || !offerR.ok) throw new Error('offer');
    const offer = offerR.value;

    // Taker: PoDLE on its own utxo, !fill.
    const takerKey = new Uint8Array(32).fill(0x41);
    const takerUtxo = `${'71'.repeat(32)}:0`;
    const proof = generatePodle(takerKey, takerUtxo, 0, new Uint8Array(32).fill(5));
    const takerNacl = naclKeyPairFromSecret(new Uint8Array(32).fill(0x51));
    const fillBody = toBody(buildFill(0, AMOUNT, takerNacl.publicKeyHex, podleCommitment(proof.P2)));

    // Maker: parse + REF checks, fresh keypair, !pubkey.
    const [fc] = splitCommands(fillBody);
    const fill = parseCoinjoinCommand(fc!.name, fc!.rest);
    if (!fill.ok || fill.value.cmd !== 'fill') throw new Error('fill');
    const accepted = checkFill(fill.value, [offer], () => false);
    if (!accepted.ok) throw new Error(accepted.reason);
    const makerNacl = naclKeyPairFromSecret(new Uint8Array(32).fill(0x52));
    const makerBox = makeBox(makerNacl.secretKey, accepted.value.takerNaclPub);

    // Taker: !auth E(revelation).
    const takerBox = makeBox(takerNacl.secretKey, makerNacl.publicKey);
    const authCt = encryptMessage(takerBox, serializeRevelation(proof), nonce(1));

    // Maker: decrypt, verify PoDLE against the !fill commitment, build !ioauth.
    const rev = decryptMessage(makerBox, authCt);
    const parsed = rev.ok ? parseRevelation(rev.value) : null;
    expect(parsed?.ok && verifyPodle(parsed.value, accepted.value.commitment)).toEqual({ ok: true, value: { index: 0 } });
    const makerKey = new Uint8Array(32).fill(0x61);
    const myUtxo: MakerUtxo = { txid: '81'.repeat(32), vout: 1, valueSats: 3_000_000, scriptPubKey: p2wpkh(makerKey).output as Uint8Array };
    const cjAddress = payments.p2wpkh({ hash: new Uint8Array(20).fill(0xc1), network: net }).address as string;
    const changeAddress = payments.p2wpkh({ hash: new Uint8Array(20).fill(0xc2), network: net }).address as string;
    const ioauthCt = encryptMessage(
      makerBox,
      formatIoauth({ utxos: [myUtxo], authPub: publicKeyOf(makerKey), cjAddress, changeAddress, btcSig: signNaclKeyOwnership(makerKey, makerNacl.publicKeyHex) }),
      nonce(2),
    );

    // Taker: decrypt and check ownership of the NaCl key; build the tx.
    const io = decryptMessage(takerBox, ioauthCt);
    const ioauth = io.ok ? parseIoauth(io.value, net) : null;
    if (!ioauth || !ioauth.ok) throw new Error('ioauth');
    expect(verifyNaclKeyOwnership(ioauth.value, makerNacl.publicKeyHex)).toBe(true);
    const makerChange = 3_000_000 - AMOUNT - offer.txfee + 400; // cjfee 0.0002 × 2e6 = 400
    const tx = new Transaction();
    tx.version = 2;
    tx.addInput(hexToBytes(takerUtxo.slice(0, 64)).reverse(), 0, 0xfffffffe);
    tx.addInput(hexToBytes(myUtxo.txid).reverse(), 1, 0xfffffffe);
    tx.addOutput(ioauth.value.cjScript, BigInt(AMOUNT));
    tx.addOutput(ioauth.value.changeScript, BigInt(makerChange));
    tx.addOutput(p2wpkh(takerKey).output as Uint8Array, BigInt(AMOUNT));
    expect(takerChange(2_500_000, AMOUNT, [offer], 1_000)).toBe(500_000n - 400n - 900n);
    const txCt = encryptMessage(takerBox, formatTxPlaintext(tx), nonce(3));

    // Maker: verify and sign.
    const txText = decryptMessage(makerBox, txCt);
    const txParsed = txText.ok ? parseTxPlaintext(txText.value) : null;
    if (!txParsed || !txParsed.ok) throw new Error('tx');
    const check = verifyUnsignedTx(txParsed.value, { utxos: [myUtxo], cjAddress, changeAddress, amount: AMOUNT, offer }, net);
    if (!check.ok) throw new Error(check.reason);
    const sigs = signMakerInputs(check.tx, check.toSign, () => makerKey).map((s) => encryptMessage(makerBox, s.plaintext, nonce(4)));

    // Taker: decrypt !sig and place it.
    const sigText = decryptMessage(takerBox, sigs[0]!);
    const sig = sigText.ok ? parseSigPlaintext(sigText.value) : null;
    if (!sig || !sig.ok) throw new Error('sig');
    expect(matchSignature(tx, sig.value, [{ index: 1, scriptPubKey: myUtxo.scriptPubKey, valueSats: 3_000_000 }])).toBe(1);
  });
});
