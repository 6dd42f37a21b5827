/** Wallet UTXO model shared by the wallet, sync and coin selection (blockchain-backend.md §1). */
export interface WalletUtxo {
  /** Display-order txid. */
  txid: string;
  vout: number;
  valueSat: bigint;
  scriptPubKey: string;
  address: string;
  /** 0 = unconfirmed (mempool). */
  confirmations: number;
  /** tip - confirmations + 1, or null when unconfirmed. */
  height: number | null;
  mixdepth: number;
  /** 0 external, 1 internal, 2 fidelity bond. */
  chain: 0 | 1 | 2;
  index: number;
  path: string;
  /** Set for fidelity-bond UTXOs (chain 2). */
  bond?: { timenumber: number; locktime: number; witnessScript: string };
}

export function outpointKey(u: { txid: string; vout: number }): string {
  return `${u.txid.toLowerCase()}:${u.vout}`;
}

export function parseOutpoint(s: string): { txid: string; vout: number } {
  const m = /^([0-9a-fA-F]{64}):(\d{1,10})$/.exec(s.trim());
  if (!m || Number(m[2]) > 0xffffffff) throw new Error(`expected txid:vout, got "${s}"`);
  return { txid: m[1]!.toLowerCase(), vout: Number(m[2]) };
}
