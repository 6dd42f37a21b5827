/**
 * Correctly rounded exp and pow for the bond-value formula (wallet-and-bonds.md §7).
 * REF/NG run on CPython, whose math.exp and `**` use glibc's exp/pow (correctly rounded in
 * practice); V8's Math.pow is sometimes 1 ulp off (B1 case 5). We evaluate in 192-bit
 * BigInt fixed point and round once to the nearest double.
 */
const F = 192n;
const ONE = 1n << F;

/** The exact value of a finite double as fixed point (truncated below 2^-F). */
function toFixed(d: number): bigint {
  if (!Number.isFinite(d)) throw new RangeError('exact-math: non-finite input');
  if (d === 0) return 0n;
  const neg = d < 0;
  let a = Math.abs(d);
  let e = 0;
  while (a >= 2 ** 53) { a /= 2; e++; }
  while (!Number.isInteger(a)) { a *= 2; e--; }
  const m = BigInt(a);
  const shift = BigInt(e) + F;
  const v = shift >= 0n ? m << shift : m >> -shift;
  return neg ? -v : v;
}

/** Nearest double (ties to even) to a fixed-point value. */
function fromFixed(v: bigint): number {
  if (v === 0n) return 0;
  const neg = v < 0n;
  let a = neg ? -v : v;
  const bits = a.toString(2).length;
  let exp = -Number(F);
  if (bits > 53) {
    const drop = BigInt(bits - 53);
    const rem = a & ((1n << drop) - 1n);
    const half = 1n << (drop - 1n);
    a >>= drop;
    exp += Number(drop);
    if (rem > half || (rem === half && (a & 1n) === 1n)) a += 1n;
  }
  const r = Number(a) * 2 ** exp; // exact: a < 2^54 and a power-of-two scale
  return neg ? -r : r;
}

function mul(a: bigint, b: bigint): bigint {
  return (a * b) >> F;
}

function div(a: bigint, b: bigint): bigint {
  return (a << F) / b;
}

/** 2*atanh(z) = ln((1+z)/(1-z)) for |z| <= 1/3. */
function atanh2(z: bigint): bigint {
  const z2 = mul(z, z);
  let term = z;
  let sum = 0n;
  for (let n = 1n; term !== 0n; n += 2n) {
    sum += term / n;
    term = mul(term, z2);
  }
  return 2n * sum;
}

const LN2 = atanh2(div(ONE, 3n * ONE));

function lnFixed(x: bigint): bigint {
  if (x <= 0n) throw new RangeError('exact-math: ln of a non-positive number');
  let k = 0n;
  let m = x;
  const TWO = 2n * ONE;
  while (m >= TWO) { m >>= 1n; k++; }
  while (m < ONE) { m <<= 1n; k--; }
  return k * LN2 + atanh2(div(m - ONE, m + ONE));
}

function expFixed(y: bigint): bigint {
  // y = k ln2 + r with |r| <= ln2/2, then Taylor for e^r
  let k = y / LN2;
  let r = y - k * LN2;
  if (r > LN2 / 2n) { r -= LN2; k++; } else if (r < -LN2 / 2n) { r += LN2; k--; }
  let term = ONE;
  let sum = ONE;
  for (let n = 1n; term !== 0n; n++) {
    term = mul(term, r) / n;
    sum += term;
  }
  return k >= 0n ? sum << k : sum >> -k;
}

/** e^x, correctly rounded (|x| < ~700). */
export function expExact(x: number): number {
  if (x === 0) return 1;
  if (Math.abs(x) > 700) return Math.exp(x);
  return fromFixed(expFixed(toFixed(x)));
}

/** base^exponent for base >= 0, correctly rounded. */
export function powExact(base: number, exponent: number): number {
  if (base < 0 || !Number.isFinite(base) || !Number.isFinite(exponent)) return Math.pow(base, exponent);
  if (base === 0) return exponent === 0 ? 1 : exponent > 0 ? 0 : Infinity;
  if (exponent === 0 || base === 1) return 1;
  const y = mul(toFixed(exponent), lnFixed(toFixed(base)));
  if (y > 700n * ONE || y < -700n * ONE) return Math.pow(base, exponent);
  return fromFixed(expFixed(y));
}
