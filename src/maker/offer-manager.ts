/**
 * The maker's current offers (coinjoin-protocol.md §4.2, §8.1): created from confirmed
 * mixdepth balances by the basic or privacy-enhanced yield generator, formatted for public
 * announcement and for the private reply to `!orderbook`, and diffed on every recompute so
 * only `!cancel` for withdrawn oids and the new offers go out.
 */
import { formatOffer, type Offer } from '../protocol/offers.js';
import { createBasicOffers, createPrivacyEnhancedOffers, type Rng, type YieldConfig } from '../protocol/coinjoin/yield.js';

export type YieldAlgorithm = 'privacy' | 'basic';

export interface OfferChange {
  cancelled: number[];
  announced: Offer[];
}

export class OfferManager {
  private offers: Offer[] = [];

  constructor(private readonly config: YieldConfig, private readonly algorithm: YieldAlgorithm, private readonly rng: Rng) {}

  get current(): readonly Offer[] {
    return this.offers;
  }

  /** Recomputes from balances; a failure (e.g. unprofitable txfee) withdraws every offer. */
  update(balances: readonly number[]): OfferChange & { error?: string } {
    const r = this.algorithm === 'privacy'
      ? createPrivacyEnhancedOffers(balances, this.config, this.rng)
      : createBasicOffers(balances, this.config);
    const next = r.ok ? r.value : [];
    const nextOids = new Set(next.map((o) => o.oid));
    const cancelled = this.offers.filter((o) => !nextOids.has(o.oid)).map((o) => o.oid);
    const before = new Map(this.offers.map((o) => [o.oid, formatOffer(o)]));
    const announced = next.filter((o) => before.get(o.oid) !== formatOffer(o));
    this.offers = next;
    return r.ok ? { cancelled, announced } : { cancelled, announced, error: r.reason };
  }

  /** One pubmsg body per offer: `!sw0reloffer 0 …`. */
  publicBodies(offers: readonly Offer[] = this.offers): string[] {
    return offers.map((o) => `!${formatOffer(o)}`);
  }

  /** Private reply to `!orderbook`: first offer as the command, the rest and `!tbond` appended. */
  privateReply(bondProof: string | null): { cmd: string; args: string } | null {
    const [first, ...rest] = this.offers.map(formatOffer);
    if (first === undefined) return null;
    const sp = first.indexOf(' ');
    let args = first.slice(sp + 1) + rest.map((o) => `!${o}`).join('');
    if (bondProof !== null) args += `!tbond ${bondProof}`;
    return { cmd: first.slice(0, sp), args };
  }
}
