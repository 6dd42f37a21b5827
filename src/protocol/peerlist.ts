/**
 * Peer lists (wire-protocol.md §3.1): entries "nick;location[;D][;F:feat+feat]" joined by ",".
 * A `D` entry never carries `F:` (the reference rejects 4-field entries).
 */

export interface PeerEntry {
  nick: string;
  location: string;
  disconnected: boolean;
  features: string[];
}

const FEATURE_RE = /^[a-z0-9_]+$/;

/** Encodes one entry; features are emitted only when asked for and never with `;D`. */
export function encodePeerEntry(e: Pick<PeerEntry, 'nick' | 'location'> & Partial<PeerEntry>, withFeatures = false): string {
  let s = `${e.nick};${e.location}`;
  if (e.disconnected) return s + ';D';
  if (withFeatures && e.features && e.features.length > 0) s += ';F:' + [...e.features].sort().join('+');
  return s;
}

export function encodePeerlist(entries: ReadonlyArray<string>): string {
  return entries.join(',');
}

/** Lenient parser (ng style): unknown fields ignored, entries without ';' skipped. */
export function parsePeerlist(line: string): PeerEntry[] {
  if (line === '') return [];
  const out: PeerEntry[] = [];
  for (const raw of line.split(',')) {
    const fields = raw.split(';');
    if (fields.length < 2 || !fields[0] || !fields[1]) continue;
    const e: PeerEntry = { nick: fields[0], location: fields[1], disconnected: false, features: [] };
    for (const f of fields.slice(2)) {
      if (f === 'D') e.disconnected = true;
      else if (f.startsWith('F:')) e.features = f.slice(2).split('+').filter((x) => FEATURE_RE.test(x));
    }
    out.push(e);
  }
  return out;
}

/** Splits entries into PEERLIST lines of at most `perChunk` entries and `maxBytes` bytes. */
export function chunkPeerlist(entries: ReadonlyArray<string>, perChunk = 20, maxBytes = 39_000): string[] {
  const chunks: string[] = [];
  let cur: string[] = [];
  let bytes = 0;
  for (const e of entries) {
    const add = Buffer.byteLength(e) + (cur.length > 0 ? 1 : 0);
    if (cur.length > 0 && (cur.length >= perChunk || bytes + add > maxBytes)) {
      chunks.push(cur.join(','));
      cur = [];
      bytes = 0;
    }
    bytes += Buffer.byteLength(e) + (cur.length > 0 ? 1 : 0);
    cur.push(e);
  }
  if (cur.length > 0 || chunks.length === 0) chunks.push(cur.join(','));
  return chunks;
}
