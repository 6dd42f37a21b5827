/**
 * Maker-side proof factory (wallet-and-bonds.md §8.1, §8.4): one proof per (taker, maker),
 * certificate re-signed whenever the expiry computed from the current tip moves on, so a proof
 * is always built with cert_expiry = floor((tip+2)/2016)+1 and never with a stale certificate
 * (the REF pitfall of signing once at startup).
 */
import {
  buildBondProof, certExpiryForHeight, signBondCertificate,
} from '../protocol/bond-proof.js';
import { isValidPrivateKey, publicKeyOf, randomPrivateKey } from '../protocol/crypto.js';

export interface OwnBond {
  txid: string;
  vout: number;
  locktime: number;
  /** Private key of the pubkey in the CLTV script. */
  utxoPrivateKey: Uint8Array;
}

export class BondProver {
  private cert: { priv: Uint8Array; expiry: number; sig: Uint8Array } | null = null;

  constructor(private readonly bond: OwnBond, private readonly newCertKey: () => Uint8Array = randomPrivateKey) {
    if (!isValidPrivateKey(bond.utxoPrivateKey)) throw new Error('BondProver: invalid bond key');
  }

  /** Base64 `!tbond` argument for this taker at the given chain tip. */
  proofFor(takerNick: string, makerNick: string, tipHeight: number): string {
    const expiry = certExpiryForHeight(tipHeight);
    if (!this.cert || this.cert.expiry !== expiry) {
      const priv = this.newCertKey();
      this.cert = { priv, expiry, sig: signBondCertificate(this.bond.utxoPrivateKey, publicKeyOf(priv), expiry) };
    }
    return buildBondProof({
      takerNick, makerNick,
      certPrivateKey: this.cert.priv, certExpiry: this.cert.expiry, certSignature: this.cert.sig,
      utxoPublicKey: publicKeyOf(this.bond.utxoPrivateKey),
      txid: this.bond.txid, vout: this.bond.vout, locktime: this.bond.locktime,
    }).base64;
  }

  /** Certificate expiry currently in use (for logging/metrics); null before the first proof. */
  get certExpiry(): number | null {
    return this.cert?.expiry ?? null;
  }
}
