/**
 * Reads the captured wire fixtures kept in test/fixtures/reference-wire (real bytes from
 * reference and joinmarket-ng peers; see the README there).
 * Capture lines look like `<seconds> <direction> b'<Python bytes repr>'`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const FIXTURE_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'reference-wire');

export function readFixture(name: string): string {
  return readFileSync(path.join(FIXTURE_DIR, name), 'utf8');
}

/** Decodes the inside of a Python bytes literal b'...'. */
export function decodePyBytes(repr: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < repr.length; i++) {
    const c = repr[i]!;
    if (c !== '\\') {
      out.push(c.charCodeAt(0));
      continue;
    }
    const n = repr[++i];
    if (n === 'x') {
      out.push(parseInt(repr.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (n === 'r') out.push(13);
    else if (n === 'n') out.push(10);
    else if (n === 't') out.push(9);
    else if (n === '\\') out.push(92);
    else if (n === "'") out.push(39);
    else if (n === '"') out.push(34);
    else throw new Error(`unsupported escape \\${n}`);
  }
  return Buffer.from(out);
}

export interface CaptureRecord {
  t: number;
  from: string;
  to: string;
  bytes: Buffer;
}

/** Parses scenario-style captures: `t  peer:47810 -> DN   b'...'`. */
export function readCapture(name: string): CaptureRecord[] {
  const recs: CaptureRecord[] = [];
  for (const line of readFixture(name).split('\n')) {
    const m = /^\s*([0-9.]+)\s+(\S+)\s+->\s+(\S+)\s+b'(.*)'\s*$/.exec(line);
    if (m) recs.push({ t: Number(m[1]), from: m[2]!, to: m[3]!, bytes: decodePyBytes(m[4]!) });
  }
  return recs;
}

export interface HandshakeVariant {
  name: string;
  sent: Buffer;
  received: Buffer;
  closedByDn: boolean;
}

/** Parses handshake-variants-*.txt: `=== name`, `>>> b'..'`, `<<< b'..'`, `connection closed by DN: X`. */
export function readHandshakeVariants(name: string): HandshakeVariant[] {
  const out: HandshakeVariant[] = [];
  let cur: Partial<HandshakeVariant> | null = null;
  for (const line of readFixture(name).split('\n')) {
    const h = /^=== (.*)$/.exec(line);
    if (h) {
      cur = { name: h[1]! };
      out.push(cur as HandshakeVariant);
      continue;
    }
    if (!cur) continue;
    const s = /^>>> b'(.*)'$/.exec(line);
    if (s) cur.sent = decodePyBytes(s[1]!);
    const r = /^<<< b'(.*)'$/.exec(line);
    if (r) cur.received = decodePyBytes(r[1]!);
    const c = /connection closed by DN: (True|False)/.exec(line);
    if (c) cur.closedByDn = c[1] === 'True';
  }
  return out;
}

/** Every captured line (both directions, CRLF stripped) and every handshake variant sent: fuzz seeds. */
export function fixtureLines(): Buffer[] {
  const out: Buffer[] = [];
  const add = (b: Buffer): void => {
    let start = 0;
    for (let nl = b.indexOf(0x0a); nl !== -1; nl = b.indexOf(0x0a, start)) {
      const end = nl > start && b[nl - 1] === 0x0d ? nl - 1 : nl;
      if (end > start) out.push(b.subarray(start, end));
      start = nl + 1;
    }
    if (start < b.length) out.push(b.subarray(start));
  };
  for (const f of ['scenario-wire.txt', 'ng-interop-wire.txt', 'peer-wrong-network.txt']) for (const r of readCapture(f)) add(r.bytes);
  for (const f of ['handshake-variants-reference-dn.txt', 'handshake-variants-ng-dn.txt']) {
    for (const v of readHandshakeVariants(f)) {
      if (v.sent) add(v.sent);
      if (v.received) add(v.received);
    }
  }
  return out;
}
