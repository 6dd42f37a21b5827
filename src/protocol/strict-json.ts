/**
 * Strict parsing of the small flat JSON objects of the nick-auth exchange (wire-protocol.md
 * §2.8): one object whose values are strings, booleans, numbers or null; duplicate keys,
 * nesting, non-finite numbers and trailing bytes are refused (JSON.parse keeps the last of two
 * duplicate keys silently, so it cannot be used alone).
 */

export type FlatValue = string | number | boolean | null;
export type FlatParse = { ok: true; value: Map<string, FlatValue> } | { ok: false; reason: string };

const TOKEN = /\s*(?:("(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*")|(-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)|(true|false|null)|([{}:,]))/y;

/** Parses `{"k": v, ...}` with scalar values only. Never throws. */
export function parseFlatJsonObject(text: string, maxKeys = 8): FlatParse {
  const fail = (reason: string): FlatParse => ({ ok: false, reason });
  const out = new Map<string, FlatValue>();
  TOKEN.lastIndex = 0;
  const next = (): { str?: string; num?: string; lit?: string; punct?: string } | null => {
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) {
      TOKEN.lastIndex = start;
      return null;
    }
    return { str: m[1], num: m[2], lit: m[3], punct: m[4] };
  };
  if (next()?.punct !== '{') return fail('not a JSON object');
  let t = next();
  if (t?.punct !== '}') {
    for (;;) {
      if (t?.str === undefined) return fail('expected a key');
      const key = JSON.parse(t.str) as string;
      if (out.has(key)) return fail(`duplicate key ${JSON.stringify(key.slice(0, 32))}`);
      if (next()?.punct !== ':') return fail('expected ":"');
      const v = next();
      let value: FlatValue;
      if (v?.str !== undefined) value = JSON.parse(v.str) as string;
      else if (v?.num !== undefined) {
        value = Number(v.num);
        if (!Number.isFinite(value)) return fail('non-finite number');
      } else if (v?.lit !== undefined) value = v.lit === 'null' ? null : v.lit === 'true';
      else return fail('values must be strings, numbers, booleans or null');
      out.set(key, value);
      if (out.size > maxKeys) return fail('too many keys');
      t = next();
      if (t?.punct === '}') break;
      if (t?.punct !== ',') return fail('expected "," or "}"');
      t = next();
    }
  }
  if (!/^\s*$/.test(text.slice(TOKEN.lastIndex))) return fail('trailing bytes after the object');
  return { ok: true, value: out };
}
