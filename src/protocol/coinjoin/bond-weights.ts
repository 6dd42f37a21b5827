/**
 * One fidelity bond counts once (wallet-and-bonds.md §9). A bond proof is signed by the bond's
 * own key, so only its owner can make several nicks present one bond UTXO; without this rule
 * each of those nicks would get the full bond value in the weighted choice. Here one nick keeps
 * the value and the others weigh as bondless (and the chooser never puts two of them in one
 * round, see taker-choice.ts). The winner is decided from the proofs alone — the certificate
 * that expires last, then the smallest nick — so the taker and every watcher holding the same
 * proofs agree. (REF's taker and watcher keep whichever proof they stored first; NG's taker
 * keeps the cheapest offer per bond.) Pure.
 */

export interface BondClaim {
  nick: string;
  /**
   * `txid:vout` of the bond UTXO, only from a proof that passed the chain check (which ties the
   * outpoint to the signing key); null otherwise, so nobody can claim another maker's bond.
   */
  outpoint: string | null;
  /** Bond value when the chain check passed, else 0. */
  value: number;
  /** Certificate expiry (retarget periods) from the proof; 0 when unknown. */
  certExpiry: number;
}

export interface BondWeight {
  /** Value used in the weighted choice: the bond value for the winner, 0 for the others. */
  weight: number;
  outpoint: string | null;
  /** The nick that keeps this bond when it is not this one. */
  duplicateOf: string | null;
}

const better = (a: BondClaim, b: BondClaim): boolean => a.certExpiry > b.certExpiry || (a.certExpiry === b.certExpiry && a.nick < b.nick);

export function bondWeights(claims: readonly BondClaim[]): Map<string, BondWeight> {
  const winner = new Map<string, BondClaim>();
  for (const c of claims) {
    if (c.outpoint === null) continue;
    const w = winner.get(c.outpoint);
    if (!w || better(c, w)) winner.set(c.outpoint, c);
  }
  const out = new Map<string, BondWeight>();
  for (const c of claims) {
    const w = c.outpoint === null ? undefined : winner.get(c.outpoint);
    const duplicateOf = w && w.nick !== c.nick ? w.nick : null;
    const value = Number.isFinite(c.value) && c.value > 0 ? c.value : 0;
    out.set(c.nick, { weight: duplicateOf === null ? value : 0, outpoint: c.outpoint, duplicateOf });
  }
  return out;
}
