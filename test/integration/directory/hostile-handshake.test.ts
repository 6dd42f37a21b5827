/**
 * Handshakes and envelopes an attacker may try: the DN's own nick, and floats where the
 * reference insists on an int (`793.0`, `7.93e2`, `proto-ver` 5.0). Over real sockets; after
 * each, the DN keeps serving honest peers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DnPeer, closesWithin, startTestDirectory, testNick } from '../../helpers/dn-peer.js';
import { parseEnvelope } from '../../../src/protocol/framing.js';
import { buildClientHandshake } from '../../../src/protocol/handshake.js';
import { pyJsonString } from '../../../src/protocol/json-py.js';
import { parsePeerlist } from '../../../src/protocol/peerlist.js';
import { expectStillServing, joinAs } from '../../helpers/dn-checks.js';
import type { DirectoryServer } from '../../../src/directory/index.js';

let dn: DirectoryServer;
let port: number;
const open: DnPeer[] = [];
const join = (label: string, location?: string) => joinAs(port, open, label, { ...(location ? { location } : {}), features: { peerlist_features: true } });

async function connect(): Promise<DnPeer> {
  const p = await DnPeer.connect(port);
  open.push(p);
  return p;
}

const handshakeLine = (nick: string): string => buildClientHandshake({ nick, location: 'NOT-SERVING-ONION', network: 'testnet' });

/** A 795 reply's inner JSON. */
function reply(raw: string): { accepted: boolean; motd: string } {
  const r = parseEnvelope(raw.replace(/\r\n$/, ''));
  if (!r.ok || r.env.type !== 795) throw new Error(`not a 795: ${raw}`);
  return JSON.parse(r.env.line) as { accepted: boolean; motd: string };
}

afterEach(async () => {
  for (const p of open.splice(0)) p.destroy();
  await dn.stop();
});

describe('hostile handshakes', () => {
  it("refuses a handshake with the directory's own nick; GETPEERLIST lists the DN once", async () => {
    ({ dn, port } = await startTestDirectory({ limits: { departureCoalesceMs: 0 } }));
    const imposter = await connect();
    imposter.send(793, handshakeLine(dn.nick));
    const r = reply(await imposter.nextLine());
    expect(r).toMatchObject({ accepted: false, motd: `Rejected: nick already in use: ${dn.nick}` });
    expect(await closesWithin(imposter)).toBe(true);
    expect(dn.registry.byNick(dn.nick)).toBeUndefined();
    const asker = await join('asker', '127.0.0.1:9101');
    asker.p.send(791, '');
    const list = parsePeerlist((await asker.p.nextOfType(789)).line);
    expect(list.filter((e) => e.nick === dn.nick)).toHaveLength(1);
    await expectStillServing(port, `${open.length}`, open);
  });

  it.each([
    ['793.0', '{"type": 793.0, "line": %s}'],
    ['7.93e2', '{"type": 7.93e2, "line": %s}'],
    ['793E0', '{"type": 793E0, "line": %s}'],
  ])('closes without a reply on an envelope type %s', async (_name, shape) => {
    ({ dn, port } = await startTestDirectory());
    const p = await connect();
    p.sendRaw(shape.replace('%s', pyJsonString(handshakeLine(testNick('float')))) + '\r\n');
    expect(await closesWithin(p)).toBe(true);
    expect(p.received.length).toBe(0);
    expect(dn.stats.disconnects.get('malformed')).toBe(1);
    await expectStillServing(port, `${open.length}`, open);
  });

  it.each([['5.0'], ['5e0'], ['0.5e1']])('rejects proto-ver %s', async (ver) => {
    ({ dn, port } = await startTestDirectory());
    const p = await connect();
    p.send(793, handshakeLine(testNick('float-ver')).replace('"proto-ver": 5', `"proto-ver": ${ver}`));
    const r = reply(await p.nextLine());
    expect(r.accepted).toBe(false);
    expect(r.motd).toMatch(/^Rejected: invalid handshake: .*not an integer/);
    expect(await closesWithin(p)).toBe(true);
    await expectStillServing(port, `${open.length}`, open);
  });

  it('closes a handshaked peer that sends a float type, and relays nothing of it', async () => {
    ({ dn, port } = await startTestDirectory());
    const a = await join('a');
    const b = await join('b');
    a.p.sendRaw(`{"type": 687.0, "line": "${a.nick}!PUBLIC!float"}\r\n`);
    expect(await closesWithin(a.p)).toBe(true);
    await b.p.barrier();
    expect(b.p.unread.filter((l) => l.includes('float'))).toEqual([]);
    await expectStillServing(port, `${open.length}`, open);
  });

  it('still accepts integer literals written with other spacing (the reference does too)', async () => {
    ({ dn, port } = await startTestDirectory());
    const p = await connect();
    p.sendRaw(`{"line":${pyJsonString(handshakeLine(testNick('compact')))},"type":793}\r\n`);
    expect(reply(await p.nextLine()).accepted).toBe(true);
  });
});
