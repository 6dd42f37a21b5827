/**
 * Replays the client side of real captures into our DN over TCP and checks that every line the
 * DN sent in the capture arrives byte-identical (the DN's nick and location substituted;
 * PEERLIST entry order aside).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readCapture, type CaptureRecord } from '../../helpers/wire-fixtures.js';
import { DnPeer, startTestDirectory } from '../../helpers/dn-peer.js';
import { parseEnvelope } from '../../../src/protocol/framing.js';
import type { DirectoryServer } from '../../../src/directory/index.js';

interface ReplayMode {
  capture: string;
  /** The capturing DN's nick and (if it had one in peerlists) its own entry. */
  refNick: string;
  refEntry: string | null;
  /** Lines our DN may send in addition to the capture (normalised form). */
  extraAllowed(line: string, ourEntry: string): boolean;
}

function splitLines(b: Buffer): string[] {
  return b.toString('utf8').split(/(?<=\r\n)/).filter((l) => l !== '');
}

/** Normalises a line: PEERLIST entries sorted, our DN entry dropped when the capture had none. */
function normalise(line: string, dropEntry: string | null): string {
  const r = parseEnvelope(line.replace(/\r\n$/, ''));
  if (!r.ok || r.env.type !== 789) return line;
  const entries = r.env.line.split(',').filter((e) => e !== '' && e !== dropEntry).sort();
  return `PEERLIST ${entries.join(',')}`;
}

async function replay(mode: ReplayMode): Promise<{ checked: number; dn: DirectoryServer }> {
  const { dn, port } = await startTestDirectory({ motd: 'replay', locationProofs: { enabled: false } }) // the captured peers were listed unproven;
  running = dn;
  const ourEntry = `${dn.nick};127.0.0.1:${port}`;
  const subst = (s: string): string => {
    let out = mode.refEntry ? s.split(mode.refEntry).join(ourEntry) : s;
    return out.split(mode.refNick).join(dn.nick);
  };
  const dropEntry = mode.refEntry ? null : ourEntry;
  const peers = new Map<string, DnPeer>();
  const nickOf = new Map<string, string>();
  let checked = 0;

  const nextRelevant = async (peer: DnPeer): Promise<string> => {
    for (;;) {
      const got = normalise(await peer.nextLine(), dropEntry);
      if (got === 'PEERLIST ' || mode.extraAllowed(got, ourEntry)) continue;
      return got;
    }
  };

  const recs: CaptureRecord[] = readCapture(mode.capture);
  for (const rec of recs) {
    if (rec.to === 'DN') {
      let peer = peers.get(rec.from);
      if (!peer) {
        peer = await DnPeer.connect(port);
        peers.set(rec.from, peer);
      }
      const r = parseEnvelope(rec.bytes.toString('utf8').replace(/\r\n$/, ''));
      if (r.ok && r.env.type === 793) nickOf.set((JSON.parse(r.env.line) as { nick: string }).nick, rec.from);
      peer.sendRaw(rec.bytes);
      // Let the DN finish this line before another peer acts (TCP orders only per connection).
      if (r.ok && r.env.type !== 793) await peer.barrier();
      continue;
    }
    const peer = peers.get(rec.to)!;
    for (const expectedRaw of splitLines(rec.bytes)) {
      const env = parseEnvelope(expectedRaw.replace(/\r\n$/, ''));
      if (!env.ok) throw new Error('capture line is not an envelope');
      if (env.env.type === 795) {
        const got = await peer.nextEnvelope();
        expect(got.type).toBe(795);
        expect(JSON.parse(got.line)).toMatchObject({ accepted: true, nick: dn.nick, network: 'testnet' });
        checked++;
        continue;
      }
      if (env.env.type === 789) {
        // A `;D` entry means that peer left just before: close it now.
        for (const e of env.env.line.split(',')) {
          const [nick, , d] = e.split(';');
          const owner = nick !== undefined ? peers.get(nickOf.get(nick) ?? '') : undefined;
          if (d === 'D' && owner && !owner.isClosed) await owner.close();
        }
      }
      const expected = normalise(subst(expectedRaw), dropEntry);
      if (expected === 'PEERLIST ') continue;
      expect(await nextRelevant(peer)).toBe(expected);
      checked++;
    }
  }
  // Nothing else arrived: a round trip through the DN leaves no unread line.
  for (const p of peers.values()) {
    if (p.isClosed) continue;
    await p.barrier();
    expect(p.unread.map((l) => normalise(l, dropEntry)).filter((l) => l !== 'PEERLIST ' && !mode.extraAllowed(l, ourEntry))).toEqual([]);
    await p.close();
  }
  return { checked, dn };
}

let running: DirectoryServer | null = null;
afterEach(async () => {
  await running?.stop();
  running = null;
});

describe('capture replay', () => {
  it('scenario-wire.txt (reference DN): every relayed line byte-identical', async () => {
    const { checked } = await replay({
      capture: 'scenario-wire.txt',
      refNick: 'J52jBWvCuM2AuE7N',
      refEntry: 'J52jBWvCuM2AuE7N;127.0.0.1:5222',
      extraAllowed: () => false,
    });
    // 3 handshake replies, 5 pubmsg relays, 3 privmsgs each with its PEERLIST, 3 `;D` notices.
    expect(checked).toBe(17);
  });

  it('ng-interop-wire.txt (ng DN): relays identical; our extra post-privmsg DN entries aside', async () => {
    const aOffer = '{"type": 687, "line": "J55E1XKyi1UBzSc8!PUBLIC!sw0reloffer 0 27300 100000000 0 0.00002"}\r\n';
    const { checked } = await replay({
      capture: 'ng-interop-wire.txt',
      refNick: 'J54tAMmUvBgkHSvm',
      refEntry: null,
      // ng did not relay A's offer announcement to C (C had just joined); we do.
      extraAllowed: (l) => l === aOffer,
    });
    expect(checked).toBe(16);
  });
});
