/**
 * Which departures are announced (docs/directory.md, Behaviour decisions): only peers another
 * peer can know of. A whole DirectoryServer over fake sockets and a ManualClock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DirectoryServer } from '../../../src/directory/server.js';
import { encodeEnvelope } from '../../../src/protocol/framing.js';
import { buildClientHandshake } from '../../../src/protocol/handshake.js';
import { NOT_SERVING_ONION } from '../../../src/protocol/onion.js';
import { ManualClock } from '../../../src/util/clock.js';
import { testNick } from '../../helpers/dn-peer.js';
import { afterFlush, fakeListener, type DrivableSocket } from './fakes.js';

const WINDOW_MS = 1_000;
let dn: DirectoryServer | null = null;

afterEach(async () => {
  await dn?.stop();
  dn = null;
});

async function setup() {
  const clock = new ManualClock(0);
  const listener = fakeListener();
  dn = new DirectoryServer({ network: 'testnet', listener, clock, limits: { departureCoalesceMs: WINDOW_MS } });
  await dn.start();
  const join = async (label: string, location = NOT_SERVING_ONION): Promise<{ s: DrivableSocket; nick: string }> => {
    const nick = testNick(label);
    const s = listener.connect();
    s.emit('data', Buffer.from(encodeEnvelope(793, buildClientHandshake({ nick, location, network: 'testnet' }))));
    await afterFlush();
    expect(dn!.registry.byNick(nick)).toBeDefined();
    s.written.length = 0;
    return { s, nick };
  };
  /** Closes the window and lets the notices reach the sockets. */
  const flushDepartures = async (): Promise<void> => {
    clock.advance(WINDOW_MS);
    await afterFlush();
  };
  return { join, flushDepartures };
}

describe('departure notices', () => {
  it('a peer that never spoke and was never listed leaves without a `;D`', async () => {
    const t = await setup();
    const watcher = await t.join('watcher');
    const silent = await t.join('silent');
    silent.s.emit('close');
    await t.flushDepartures();
    expect(watcher.s.text()).toBe('');
    expect(dn!.registry.byNick(silent.nick)).toBeUndefined();
  });

  it('announces a peer that had a pubmsg or privmsg relayed, and a serving peer', async () => {
    const t = await setup();
    const watcher = await t.join('watcher');
    const talker = await t.join('talker');
    const whisperer = await t.join('whisperer');
    const maker = await t.join('maker', '127.0.0.1:9001');
    const silent = await t.join('silent');
    talker.s.emit('data', Buffer.from(encodeEnvelope(687, `${talker.nick}!PUBLIC!hello`)));
    whisperer.s.emit('data', Buffer.from(encodeEnvelope(685, `${whisperer.nick}!${watcher.nick}!hi`)));
    await afterFlush();
    watcher.s.written.length = 0;
    for (const p of [talker, whisperer, maker, silent]) p.s.emit('close');
    await t.flushDepartures();
    const text = watcher.s.text();
    expect(text).toContain(`${talker.nick};NOT-SERVING-ONION;D`);
    expect(text).toContain(`${whisperer.nick};NOT-SERVING-ONION;D`);
    expect(text).toContain(`${maker.nick};NOT-SERVING-ONION;D`); // its claim was never proven: never broadcast
    expect(text).not.toContain('127.0.0.1:9001');
    expect(text).not.toContain(silent.nick);
    expect(text.split('\r\n')).toHaveLength(2); // one coalesced PEERLIST line
  });

  it('a reconnection inherits being known from the connection it replaces', async () => {
    const t = await setup();
    const watcher = await t.join('watcher');
    const first = await t.join('again');
    first.s.emit('data', Buffer.from(encodeEnvelope(687, `${first.nick}!PUBLIC!hello`)));
    await afterFlush();
    first.s.emit('close');
    const second = await t.join('again'); // within the window: no `;D` for the first
    await t.flushDepartures();
    watcher.s.written.length = 0;
    second.s.emit('close');
    await t.flushDepartures();
    expect(watcher.s.text()).toContain(`${second.nick};NOT-SERVING-ONION;D`);
  });
});
