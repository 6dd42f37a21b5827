/** Helpers shared by the coinjoin unit tests. */
import { parseOffer, type Offer } from '../../../src/protocol/offers.js';
import type { Rng } from '../../../src/protocol/coinjoin/yield.js';

/** The offer `!<type> <fields>` parses to; throws with the parser's reason when it refuses it. */
export function parsedOffer(type: string, fields: string): Offer {
  const r = parseOffer(type, fields.split(' '));
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

/** An Rng that returns `xs` in order and throws once they are used up (a test asked for more draws than it scripted). */
export function scriptedRng(...xs: number[]): Rng {
  let i = 0;
  return () => {
    const x = xs[i++];
    if (x === undefined) throw new Error('rng exhausted');
    return x;
  };
}
