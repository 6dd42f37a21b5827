/**
 * UTXO strings as they appear in `!auth` and `!ioauth` (coinjoin-protocol.md §4 notation):
 * `<64-hex txid in display order>:<decimal vout>`. REF accepts only this two-part form;
 * NG's `txid:vout:spk:height` extension is not negotiated by us.
 */
import { type Result, ok, fail } from './result.js';

export interface Outpoint {
  /** Lowercase display-order (RPC) hex. */
  txid: string;
  vout: number;
}

const UTXO_RE = /^([0-9a-fA-F]{64}):([0-9]{1,10})$/;

export function parseUtxoString(text: string): Result<Outpoint> {
  const m = UTXO_RE.exec(text);
  if (!m) return fail(`malformed utxo string: ${JSON.stringify(text.slice(0, 80))}`);
  const vout = Number(m[2]);
  if (vout > 0xffffffff) return fail(`utxo vout out of range: ${m[2]}`);
  return ok({ txid: (m[1] as string).toLowerCase(), vout });
}

export function formatUtxo(o: Outpoint): string {
  if (!/^[0-9a-f]{64}$/.test(o.txid) || !Number.isInteger(o.vout) || o.vout < 0 || o.vout > 0xffffffff) {
    throw new RangeError(`formatUtxo: bad outpoint ${o.txid}:${o.vout}`);
  }
  return `${o.txid}:${o.vout}`;
}

export function outpointKey(o: Outpoint): string {
  return `${o.txid}:${o.vout}`;
}
