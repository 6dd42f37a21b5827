/**
 * Python-compatible JSON serialisation (json.dumps defaults: ", " and ": " separators,
 * ensure_ascii). The reference and joinmarket-ng emit this form (wire-protocol.md §1.2), and
 * byte-identical relays and handshake hashes depend on it (pitfall 26).
 */

export type PyJson = string | number | boolean | null | PyJson[] | { [k: string]: PyJson };

const NON_ASCII = /[\u007f-\uffff]/g;
const NEEDS_ESCAPE = /[^\x20-\x7e]|["\\]/;

/** A JSON string literal exactly as Python's json.dumps(ensure_ascii=True) writes it. */
export function pyJsonString(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return `"${s}"`;
  // JSON.stringify escapes quotes, backslashes and C0 controls as Python does (lowercase hex);
  // Python additionally escapes DEL and every non-ASCII UTF-16 unit as \uXXXX.
  return JSON.stringify(s).replace(NON_ASCII, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** Byte length of pyJsonString(s), computed without building it. */
export function pyJsonStringLength(s: string): number {
  let n = 2;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) n += c === 0x22 || c === 0x5c ? 2 : 1;
    else if (c === 0x0a || c === 0x0d || c === 0x09 || c === 0x08 || c === 0x0c) n += 2;
    else n += 6;
  }
  return n;
}

export function pyJsonDumps(v: PyJson): string {
  if (typeof v === 'string') return pyJsonString(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RangeError('pyJsonDumps: non-finite number');
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v === null) return 'null';
  if (Array.isArray(v)) return '[' + v.map(pyJsonDumps).join(', ') + ']';
  const parts: string[] = [];
  for (const [k, val] of Object.entries(v)) parts.push(pyJsonString(k) + ': ' + pyJsonDumps(val));
  return '{' + parts.join(', ') + '}';
}

/** String literals (skipped) or a digit followed by a fraction or exponent (a float token). */
const STRING_OR_FLOAT = /"[^"\\]*(?:\\.[^"\\]*)*"|\d[.eE]/g;

/**
 * True when valid JSON text holds a number that Python's json.loads reads as a float
 * (`793.0`, `7.93e2`, `5E0`). JSON.parse cannot tell `793.0` from `793`, and the reference
 * refuses a float wherever it asserts an int (envelope `type`, handshake `proto-ver`).
 */
export function hasPythonFloat(json: string): boolean {
  STRING_OR_FLOAT.lastIndex = 0;
  for (let m = STRING_OR_FLOAT.exec(json); m !== null; m = STRING_OR_FLOAT.exec(json)) {
    if (m[0].charCodeAt(0) !== 0x22) return true;
  }
  return false;
}
