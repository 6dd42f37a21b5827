/**
 * Anonymous `!hp2` gossip: a throwaway nick, and the call returns only after the directory has
 * read our line and closed its end (an event, not a fixed wait).
 */
import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { DirectoryPool } from '../../../src/client/directory-pool.js';
import { NickIdentity } from '../../../src/client/identity.js';
import { PoolChannel } from '../../../src/maker/pool-channel.js';
import { encodeEnvelope, LineSplitter, parseEnvelope } from '../../../src/protocol/framing.js';
import { buildDirectoryHandshake, parseClientHandshake } from '../../../src/protocol/handshake.js';
import { MsgType } from '../../../src/protocol/message-types.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

/** A one-connection-at-a-time fake directory that logs what happens, in order. */
async function fakeDirectory(events: string[]): Promise<number> {
  const server = net.createServer({ allowHalfOpen: true }, (sock) => {
    const split = new LineSplitter();
    let nick = '';
    sock.on('data', (chunk: Buffer) => {
      for (const ev of split.push(chunk)) {
        if (ev.kind !== 'line') continue;
        const env = parseEnvelope(ev.text);
        if (!env.ok) continue;
        if (env.env.type === MsgType.HANDSHAKE) {
          const h = parseClientHandshake(env.env.line);
          nick = h.ok ? h.value.nick : '?';
          events.push(`handshake ${h.ok ? h.value['location-string'] : 'bad'}`);
          sock.write(encodeEnvelope(MsgType.DN_HANDSHAKE, buildDirectoryHandshake({ nick: 'J5fakeDirectoryO', network: 'regtest', accepted: true, motd: '' })));
        } else if (env.env.type === MsgType.PUBMSG) {
          events.push(`pubmsg ${env.env.line.startsWith(`${nick}!PUBLIC!`) ? 'from-handshake-nick' : 'other'} ${env.env.line.slice(nick.length + 8)}`);
        }
      }
    });
    sock.on('end', () => {
      events.push('peer half-closed');
      // close our end on the next turn, so "resolved" can only come after it
      setImmediate(() => {
        events.push('directory closes');
        sock.end();
      });
    });
    sock.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => new Promise((r) => server.close(() => r())));
  return (server.address() as net.AddressInfo).port;
}

describe('PoolChannel.announceAnonymously', () => {
  it('sends from a throwaway nick and resolves after the directory closed the connection', async () => {
    const events: string[] = [];
    const port = await fakeDirectory(events);
    const dns = [{ host: '127.0.0.1', port }];
    const main = new DirectoryPool({ directories: dns, identity: NickIdentity.random(), network: 'regtest' });
    const nicks: string[] = [];
    const channel = new PoolChannel(main, {
      anonymousPool: (id, dialer) => {
        nicks.push(id.nick);
        return new DirectoryPool({ directories: dns, identity: id, network: 'regtest', dialer });
      },
      connectTimeoutMs: 5_000,
      closeTimeoutMs: 60_000,
    });
    await channel.announceAnonymously(`!hp2 ${'ab'.repeat(32)}`);
    events.push('resolved');
    expect(nicks).toHaveLength(1);
    expect(nicks[0]).not.toBe(main.nick);
    expect(events).toEqual([
      'handshake NOT-SERVING-ONION',
      `pubmsg from-handshake-nick hp2 ${'ab'.repeat(32)}`,
      'peer half-closed',
      'directory closes',
      'resolved',
    ]);
  });
});
