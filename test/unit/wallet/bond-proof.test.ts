// Vectors P1–P4 and the negative REF vectors (wallet-and-bonds.md §8, §10).
import { describe, expect, it } from 'vitest';
import {
  BOND_PROOF_LENGTH, buildBondProof, certExpiryForHeight, certMessage, isCertExpired, parseBondProof,
  parseBondProofBytes, serializeBondProof, signBondCertificate, verifyBondProofSignatures,
} from '../../../src/protocol/bond-proof.js';
import { bytesToHex, hexToBytes, messageHash, signMessageDer, toBase64 } from '../../../src/protocol/crypto.js';
import { nickFromPrivateKey } from '../../../src/protocol/nick.js';
import { HdKeys } from '../../../src/wallet/hd.js';
import { mnemonicToSeed } from '../../../src/wallet/mnemonic.js';
import { getNetwork } from '../../../src/wallet/network.js';

const TAKER = 'J55VZ6U6ZyFDNeuv';
const P1 = '/zBFAiEA22IVlqCHuB3gNd1WoRtuj3GQJoxHQIkiMrKBm8AwpbYCIAMUbNdCUrqMOogojjNsrPVgVIf69akfGcC26bvcx3mZ/zBFAiEA61Eq+TgRO62017KeDCIGHFHa2xE6k5Xp7YGkYQM5EhMCICkXDeQUlk8HIoxPDUBLE4YnK64zfwEz8TKdlIolL6KgAljvsHeWDWhI8AGQSFfwYvpFPeJsGthzb1VJclT1bop0AQAC9U8Cc3foQXEpZFOCiqhjwj/ESJRTAl9JvTrd+zo1mz2EyI+v4Lt19Qf+O/spqT0QsugMFaY7KUPBpf7LWlXLogAAAACAmc9h';
const P2 = '/zBFAiEAgMYkDKEVWVOsSEKzM/p+n7lgs/7tMK1IccF+Ay5CuyMCICN5fl3Zu1gywBvlN/QPH9YkAfkVWslYpRi+gxomNFnU//8wRAIgVmnqOU9zgemr8LPAE/rCt50kwC/rhv8VPP+DxljXz3QCIAspWs5lVof4BzjzczwdxfHiuPNRwBegW4vTGYPdTXI/Ax0cAGpjENvfVzQe/BnDpDxAI3nXzNJIBBbK3HV5+XP3AQACYWxWQS63OKnqz7BVC0Oloud+XVIF6p4sqN+sNOUMl1SEyI+v4Lt19Qf+O/spqT0QsugMFaY7KUPBpf7LWlXLogEAAACA2Ntw';
const P3 = '//8wRAIgSynpF2QLwIIo0aIqbNgOSscBTla/ywJPXcARAQFCIu0CIG9iofg+gFUpyJaGGyAOAC74hn3N+IJUorWKNNs0vvN7/zBFAiEA0761ZgvvM9CV+SowI7u6sV7OSKsvIR+pNbYv6LdkyMACIEiS3v+0yaoNc0qj9VzI4rquSgP8Wp5XG09nFJPxJU35A6LR0VKQ1tISBNEVPAYpcLT/dXpnXkekUf0LpcCEEngHAQADucEsnDEoZ3I0m5hmU9ByMjJ7KEvQeHrVgpoErGj1m4lwwplbKD2whoE9l4FyZPELiCO4cCmNMKsJy0PGvyZwzwAAAACAhXRn';

const REAL: [string, string, string, number, number, string, string, number, number][] = [
  ['P1', P1, 'J5A4k9ecQzRRDfBx', 0, 1640995200, '0258efb077960d6848f001904857f062fa453de26c1ad8736f55497254f56e8a74', '02f54f027377e84171296453828aa863c23fc4489453025f49bd3addfb3a359b3d', 71, 71],
  ['P2', P2, 'J54LS6YyJPoseqFS', 1, 1893456000, '031d1c006a6310dbdf57341efc19c3a43c402379d7ccd2480416cadc7579f973f7', '02616c56412eb738a9eacfb0550b43a5a2e77e5d5205ea9e2ca8dfac34e50c9754', 71, 70],
  ['P3', P3, 'J59PRzM6ZsdA5uyJ', 0, 1735689600, '03a2d1d15290d6d21204d1153c062970b4ff757a675e47a451fd0ba5c084127807', '03b9c12c9c31286772349b986653d07232327b284bd0787ad5829a04ac68f59b89', 70, 71],
];
const TXIDS: Record<string, string> = {
  P1: '84c88fafe0bb75f507fe3bfb29a93d10b2e80c15a63b2943c1a5fecb5a55cba2',
  P2: '84c88fafe0bb75f507fe3bfb29a93d10b2e80c15a63b2943c1a5fecb5a55cba2',
  P3: '70c2995b283db086813d97817264f10b8823b870298d30ab09cb43c6bf2670cf',
};

function mutate(b64: string, offset: number, from: number, to: number): string {
  const b = Buffer.from(b64, 'base64');
  expect(b[offset]).toBe(from);
  b[offset] = to;
  return b.toString('base64');
}

describe('P1–P3 real REF proofs', () => {
  it.each(REAL)('%s parses and verifies (binary cert form)', (name, b64, maker, vout, locktime, certPub, utxoPub, nickLen, certLen) => {
    const r = parseBondProof(b64);
    if (!r.ok) throw new Error(r.reason);
    const p = r.proof;
    expect(p.txid).toBe(TXIDS[name]);
    expect([p.vout, p.locktime, p.certExpiry]).toEqual([vout, locktime, 1]);
    expect(bytesToHex(p.certPub)).toBe(certPub);
    expect(bytesToHex(p.utxoPub)).toBe(utxoPub);
    expect([p.nickSig.length, p.certSig.length]).toEqual([nickLen, certLen]);
    expect(verifyBondProofSignatures(p, TAKER, maker)).toEqual({ ok: true, certForm: 'binary' });
    // round trip reproduces the exact blob (0xFF padding)
    expect(toBase64(serializeBondProof(p))).toBe(b64);
    // bound to (taker, maker): another taker or maker fails
    expect(verifyBondProofSignatures(p, 'J5xxxxxxxxxxxxxx', maker)).toMatchObject({ ok: false, reason: expect.stringMatching(/nick signature/) });
    expect(verifyBondProofSignatures(p, maker, TAKER).ok).toBe(false);
    // a live verifier rejects these at §9 step 5 (cert_expiry = 1)
    expect(isCertExpired(p.certExpiry, 2017)).toBe(true);
  });

  it('REF negative vectors are refused with a reason', () => {
    // P3 nick_sig starts at offset 2 (two 0xFF pad bytes)
    const noHeader = parseBondProof(mutate(P3, 2, 0x30, 0x5a));
    expect(noHeader.ok).toBe(false);
    const nickLen = parseBondProof(mutate(P3, 3, 0x44, 0x45));
    expect(nickLen).toEqual({ ok: false, reason: expect.stringMatching(/nick_sig: DER length byte/) });
    // P3 cert_sig starts at 72 + 1 (one pad byte)
    const certLen = parseBondProof(mutate(P3, 74, 0x45, 0x55));
    expect(certLen).toEqual({ ok: false, reason: expect.stringMatching(/cert_sig: DER length byte/) });
    for (const r of [noHeader, nickLen, certLen]) if (!r.ok) console.log(`rejected: ${r.reason}`);
  });

  it('refuses wrong length, alphabet, no DER header and invalid points', () => {
    expect(parseBondProof(P1.slice(0, -4))).toMatchObject({ ok: false, reason: expect.stringMatching(/336/) });
    expect(parseBondProof(P1 + 'AAAA')).toMatchObject({ ok: false });
    expect(parseBondProof(P1.slice(0, -1) + '-')).toMatchObject({ ok: false, reason: expect.stringMatching(/base64/) });
    expect(parseBondProof(P1.replace(/.$/, '\n'))).toMatchObject({ ok: false });
    expect(parseBondProofBytes(new Uint8Array(251))).toMatchObject({ ok: false, reason: expect.stringMatching(/252/) });
    const b = Buffer.from(P1, 'base64');
    const noDer = Buffer.from(b);
    noDer.fill(0xff, 0, 72);
    expect(parseBondProofBytes(noDer)).toEqual({ ok: false, reason: 'nick_sig: no DER header (0x30) found' });
    const badPoint = Buffer.from(b);
    badPoint.fill(0, 145, 177); // cert_pub = 02 00…00 is not on the curve
    expect(parseBondProofBytes(badPoint)).toMatchObject({ ok: false, reason: expect.stringMatching(/cert_pub/) });
    const badUtxo = Buffer.from(b);
    badUtxo[179] = 0x04;
    expect(parseBondProofBytes(badUtxo)).toMatchObject({ ok: false, reason: expect.stringMatching(/utxo_pub/) });
    // a flipped signature byte still parses but fails verification
    const flipped = Buffer.from(b);
    flipped[40] = (flipped[40] ?? 0) ^ 1;
    const r = parseBondProofBytes(flipped);
    expect(r.ok && verifyBondProofSignatures(r.proof, TAKER, 'J5A4k9ecQzRRDfBx').ok).toBe(false);
    expect(parseBondProof(123 as unknown as string)).toMatchObject({ ok: false });
  });
});

describe('P4 deterministic proof', () => {
  const bondKey = new HdKeys(mnemonicToSeed('abandon '.repeat(11) + 'about'), getNetwork('mainnet')).bondKey(73);
  const utxoPriv = bondKey.privateKey!;
  const certPriv = new Uint8Array(32).fill(0x33);
  const maker = nickFromPrivateKey(new Uint8Array(32).fill(0x11));
  const taker = nickFromPrivateKey(new Uint8Array(32).fill(0x22));
  const txid = '4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b';
  const BLOB = 'ffff304402202d838d6eb9271f3cd531ea9641181b22a3ba6c439b82e1f6aab8a06cb4fd3b9802204819f5a658a6655149aeb690ace1b516f085dd2a5f81f13554a9b1f4dd42a72fff3045022100f162029e7a0a40db7818864fbd9af1ea063e7bca258692bb5a4dabee26e836200220416b186b30a8543bb95b4c154b103e935d6115f76580babd3901facb6ecc61e1023c72addb4fdf09af94f0c94d7fe92a386a7e70cf8a1d85916386bb2535c7b1b1ce0103a30ac2cbcd6cafae59a6077893fe1aad0605efa7b98cd9c68cff754a13fe4d484a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b0100000080977e69';
  const B64 = '//8wRAIgLYONbrknHzzVMeqWQRgbIqO6bEObguH2qrigbLT9O5gCIEgZ9aZYpmVRSa62kKzhtRbwhd0qX4HxNVSpsfTdQqcv/zBFAiEA8WICnnoKQNt4GIZPvZrx6gY+e8olhpK7Wk2r7iboNiACIEFrGGswqFQ7uVtMFUsQPpNdYRX3ZYC6vTkB+stuzGHhAjxyrdtP3wmvlPDJTX/pKjhqfnDPih2FkWOGuyU1x7GxzgEDowrCy81sr65Zpgd4k/4arQYF76e5jNnGjP91ShP+TUhKXh5LqrifOjJRiojDG8h/YY92Zz4sx3qyEnt6/e2jOwEAAACAl35p';

  it('nicks, expiry, cert message and hash', () => {
    expect([maker, taker]).toEqual(['J52N8GdNkKtMA6TW', 'J59cTYvZJZEbjWk4']);
    expect(certExpiryForHeight(930000)).toBe(462);
    expect(isCertExpired(462, 931392)).toBe(false);
    expect(isCertExpired(462, 931393)).toBe(true);
    const certPub = hexToBytes('023c72addb4fdf09af94f0c94d7fe92a386a7e70cf8a1d85916386bb2535c7b1b1');
    const msg = certMessage(certPub, 462);
    expect(bytesToHex(msg)).toBe('666964656c6974792d626f6e642d636572747c023c72addb4fdf09af94f0c94d7fe92a386a7e70cf8a1d85916386bb2535c7b1b17c343632');
    expect(bytesToHex(messageHash(msg))).toBe('464d8010192f690b8aea097b883b1e78ee294b6abacc621de3d9366372f3260d');
    expect(bytesToHex(signBondCertificate(utxoPriv, certPub, 462))).toBe('3045022100f162029e7a0a40db7818864fbd9af1ea063e7bca258692bb5a4dabee26e836200220416b186b30a8543bb95b4c154b103e935d6115f76580babd3901facb6ecc61e1');
  });

  it('buildBondProof reproduces the blob and base64 byte for byte', () => {
    const built = buildBondProof({ takerNick: taker, makerNick: maker, certPrivateKey: certPriv, certExpiry: certExpiryForHeight(930000), utxoPrivateKey: utxoPriv, txid, vout: 1, locktime: 1769904000 });
    expect(built.blob).toHaveLength(BOND_PROOF_LENGTH);
    expect(bytesToHex(built.blob)).toBe(BLOB);
    expect(built.base64).toBe(B64);
    expect(bytesToHex(built.proof.nickSig)).toBe('304402202d838d6eb9271f3cd531ea9641181b22a3ba6c439b82e1f6aab8a06cb4fd3b9802204819f5a658a6655149aeb690ace1b516f085dd2a5f81f13554a9b1f4dd42a72f');
    const parsed = parseBondProof(B64);
    expect(parsed.ok && verifyBondProofSignatures(parsed.proof, taker, maker)).toEqual({ ok: true, certForm: 'binary' });
  });

  it('cold flow: pre-signed certificate, and the ASCII cert form verifies', () => {
    const certPub = hexToBytes('023c72addb4fdf09af94f0c94d7fe92a386a7e70cf8a1d85916386bb2535c7b1b1');
    const certSignature = signMessageDer(certMessage(certPub, 500, 'ascii'), utxoPriv);
    const built = buildBondProof({ takerNick: taker, makerNick: maker, certPrivateKey: certPriv, certExpiry: 500, certSignature, utxoPublicKey: bondKey.publicKey, txid, vout: 0, locktime: 1769904000 });
    expect(verifyBondProofSignatures(built.proof, taker, maker)).toEqual({ ok: true, certForm: 'ascii' });
    expect(() => buildBondProof({ takerNick: taker, makerNick: maker, certPrivateKey: certPriv, certExpiry: 500, txid, vout: 0, locktime: 1 })).toThrow(/need utxoPrivateKey/);
    expect(() => buildBondProof({ takerNick: taker, makerNick: maker, certPrivateKey: certPriv, certExpiry: 65536, utxoPrivateKey: utxoPriv, txid, vout: 0, locktime: 1 })).toThrow(/uint16/);
    expect(() => buildBondProof({ takerNick: taker, makerNick: maker, certPrivateKey: certPriv, certExpiry: 1, utxoPrivateKey: utxoPriv, txid: 'zz', vout: 0, locktime: 1 })).toThrow(/txid/);
    expect(() => buildBondProof({ takerNick: taker, makerNick: maker, certPrivateKey: certPriv, certExpiry: 1, utxoPrivateKey: utxoPriv, txid, vout: 2 ** 32, locktime: 1 })).toThrow(/vout/);
  });
});

describe('BondProver rebuilds the certificate before it expires', () => {
  it('every proof is valid at its tip and for >= 3 more blocks; cert rotates at the boundary', async () => {
    const { BondProver } = await import('../../../src/wallet/bond-prover.js');
    const key = new Uint8Array(32).fill(0x44);
    let certKeys = 0;
    const prover = new BondProver({ txid: 'aa'.repeat(32), vout: 0, locktime: 1769904000, utxoPrivateKey: key }, () => {
      certKeys++;
      return new Uint8Array(32).fill(0x50 + certKeys);
    });
    const heights = [930000, 931389, 931390, 931391, 931392, 931393];
    const expiries: number[] = [];
    for (const h of heights) {
      const r = parseBondProof(prover.proofFor('J5taker', 'J5maker', h));
      if (!r.ok) throw new Error(r.reason);
      expect(verifyBondProofSignatures(r.proof, 'J5taker', 'J5maker').ok).toBe(true);
      for (let d = 0; d <= 2; d++) expect(isCertExpired(r.proof.certExpiry, h + d)).toBe(false);
      expiries.push(r.proof.certExpiry);
    }
    // 931390 = 462*2016 - 2: the old cert (valid to 931392) is replaced two blocks early
    expect(expiries).toEqual([462, 462, 463, 463, 463, 463]);
    expect(certKeys).toBe(2);
    expect(prover.certExpiry).toBe(463);
  });
});
