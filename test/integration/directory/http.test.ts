/** /health and /metrics on a loopback HTTP endpoint. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DnPeer, startTestDirectory, testNick } from '../../helpers/dn-peer.js';
import type { DirectoryServer } from '../../../src/directory/index.js';

let dn: DirectoryServer;
let base: string;
const peers: DnPeer[] = [];

beforeAll(async () => {
  ({ dn } = await startTestDirectory({ http: { host: '127.0.0.1', port: 0 } }));
  base = `http://127.0.0.1:${dn.httpAddress!.port}`;
  const port = dn.address!.port;
  const maker = await DnPeer.joined(port, { nick: testNick('m'), location: '127.0.0.1:9200' });
  const taker = await DnPeer.joined(port, { nick: testNick('t') });
  // A maker without an onion (NOT-SERVING-ONION) is still a maker once it announces an offer.
  const unserved = await DnPeer.joined(port, { nick: testNick('u') });
  peers.push(maker, taker, unserved);
  maker.send(687, `${testNick('m')}!PUBLIC!sw0reloffer 0 1 2 0 0.1`);
  await taker.nextLine();
  unserved.send(687, `${testNick('u')}!PUBLIC!sw0absoffer 0 27300 50000 0 250`);
  await taker.nextLine();
  const rejected = await DnPeer.connect(port);
  await rejected.handshake({ nick: testNick('x'), network: 'mainnet' });
  await rejected.closed;
});

afterAll(async () => {
  for (const p of peers) p.destroy();
  await dn.stop();
});

describe('http endpoint', () => {
  it('/health reports status, peers, uptime, network, nick and location', async () => {
    const r = await fetch(`${base}/health`);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({
      status: 'ok',
      peers: 3,
      makers: 2,
      takers: 1,
      network: 'testnet',
      nick: dn.nick,
      location: dn.publicLocation,
      uptime: expect.any(Number),
    });
  });

  it('/metrics exposes peers by role, handshakes, routed messages and bytes', async () => {
    const r = await fetch(`${base}/metrics`);
    expect(r.status).toBe(200);
    const text = await r.text();
    expect(text).toContain('jm_directory_peers{role="maker"} 2');
    expect(text).toContain('jm_directory_peers{role="taker"} 1');
    expect(text).toContain('jm_directory_handshakes_total{result="accepted"} 3');
    expect(text).toContain('jm_directory_handshakes_total{result="rejected"} 1');
    expect(text).toContain('jm_directory_messages_routed_total{type="pubmsg"} 2');
    expect(text).toContain('jm_directory_rate_limit_disconnects_total{kind="pubmsg"} 0');
    expect(text).toMatch(/jm_directory_bytes_in_total [1-9]\d*/);
    expect(text).toMatch(/jm_directory_bytes_out_total [1-9]\d*/);
  });

  it('unknown paths are 404', async () => {
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});
