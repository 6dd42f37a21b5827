/** Every captured handshake variant against our directory, with the reply we chose. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHandshakeVariants } from '../../helpers/wire-fixtures.js';
import { DnPeer, closesWithin, startTestDirectory } from '../../helpers/dn-peer.js';
import { parseEnvelope } from '../../../src/protocol/framing.js';
import type { DirectoryServer } from '../../../src/directory/index.js';

type Expect = { reply: 'accepted' } | { reply: 'rejected'; reason: RegExp } | { reply: 'none' };

const EXPECTED: Record<string, Expect> = {
  valid: { reply: 'accepted' },
  'wrong network (mainnet vs testnet)': { reply: 'rejected', reason: /^Rejected: wrong network "mainnet" \(directory is testnet\)$/ },
  'proto-ver 4': { reply: 'rejected', reason: /^Rejected: unsupported proto-ver 4 \(need 5\)$/ },
  'proto-ver 6': { reply: 'rejected', reason: /^Rejected: unsupported proto-ver 6 \(need 5\)$/ },
  'directory: true': { reply: 'rejected', reason: /^Rejected: peer claims to be a directory$/ },
  'app-name wrong': { reply: 'rejected', reason: /^Rejected: wrong app-name "notjoinmarket"$/ },
  'bad location-string': { reply: 'rejected', reason: /^Rejected: invalid location-string "garbage"$/ },
  'nick field missing': { reply: 'rejected', reason: /^Rejected: invalid handshake: nick: / },
  'non-JSON line': { reply: 'none' },
  'LF-only terminator': { reply: 'accepted' },
  'pubmsg before handshake': { reply: 'none' },
};

const variants = readHandshakeVariants('handshake-variants-reference-dn.txt');

describe('handshake variants (reference capture) against our DN', () => {
  let dn: DirectoryServer;
  let port: number;
  beforeAll(async () => ({ dn, port } = await startTestDirectory({ motd: 'test DN' })));
  afterAll(() => dn.stop());

  it('covers all 11 captured variants', () => {
    expect(variants.map((v) => v.name).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const v of variants) {
    it(v.name, async () => {
      const exp = EXPECTED[v.name]!;
      const peer = await DnPeer.connect(port);
      peer.sendRaw(v.sent);
      if (exp.reply === 'none') {
        expect(await closesWithin(peer)).toBe(true);
        expect(peer.received.length).toBe(0);
        return;
      }
      const raw = await peer.nextLine();
      expect(raw.endsWith('\r\n')).toBe(true);
      const env = parseEnvelope(raw.slice(0, -2));
      if (!env.ok) throw new Error(env.reason);
      expect(env.env.type).toBe(795);
      const reply = JSON.parse(env.env.line) as Record<string, unknown>;
      // Same fields in the same order as the reference DN's reply (its accepted reply where it sent none).
      const refBytes = v.received.length > 0 ? v.received : variants.find((x) => x.name === 'valid')!.received;
      const refReply = JSON.parse((JSON.parse(refBytes.toString('utf8')) as { line: string }).line) as Record<string, unknown>;
      expect(Object.keys(reply)).toEqual(Object.keys(refReply));
      expect(reply).toMatchObject({
        'app-name': 'joinmarket',
        directory: true,
        'proto-ver-min': 5,
        'proto-ver-max': 5,
        features: { peerlist_features: true, ping: true },
        nick: dn.nick,
        network: 'testnet',
      });
      if (exp.reply === 'accepted') {
        expect(reply.accepted).toBe(true);
        expect(reply.motd).toMatch(new RegExp(`^DIRECTORY NODE: 127\\.0\\.0\\.1:${port}\\nJOINMARKET VERSION: joinmarket-ts/\\d+\\.\\d+\\.\\d+[^\\n]*\\ntest DN$`));
        await peer.barrier(); // still connected and served
        expect(peer.isClosed).toBe(false);
        await peer.close();
      } else {
        expect(reply.accepted).toBe(false);
        expect(reply.motd).toMatch(exp.reason);
        expect(await closesWithin(peer)).toBe(true);
      }
    });
  }

  it('keeps serving after all the bad variants', async () => {
    const p = await DnPeer.connect(port);
    const r = await p.handshake({ nick: 'J5testTakerOOOOO' });
    expect(r.accepted).toBe(true);
    await p.close();
  });
});
