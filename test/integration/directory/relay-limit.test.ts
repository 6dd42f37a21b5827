/**
 * The DN never emits a line over 39,998 payload bytes and never relays a line longer than it
 * received it: invalid UTF-8 closes the sender, raw non-ASCII and compact spacing (which the
 * reference encoding would grow) are not relayed, canonical lines go out byte for byte.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DnPeer, closesWithin, startTestDirectory } from '../../helpers/dn-peer.js';
import { expectLinesWithinLimit, expectStillServing, joinAs } from '../../helpers/dn-checks.js';
import { MAX_EMIT_BYTES, MAX_LINE_BYTES, encodeEnvelope } from '../../../src/protocol/framing.js';
import type { DirectoryServer } from '../../../src/directory/index.js';

let dn: DirectoryServer;
let port: number;
const open: DnPeer[] = [];
const join = (label: string) => joinAs(port, open, label);

/** `{"type": T, "line": "<prefix><filler>"}` of exactly `total` bytes; the filler repeats `unit`, then 'x'. */
function sized(type: number, prefix: string, total: number, unit: Buffer = Buffer.from('x'), compact = false): Buffer {
  const head = Buffer.from(compact ? `{"type":${type},"line":"${prefix}` : `{"type": ${type}, "line": "${prefix}`, 'latin1');
  const n = total - head.length - 2;
  const fill = Buffer.alloc(n, 'x');
  for (let i = 0; i + unit.length <= n; i += unit.length) unit.copy(fill, i);
  return Buffer.concat([head, fill, Buffer.from('"}')]);
}

/** Every byte 0x80-0xFF in turn: no valid UTF-8 sequence among them. */
const HIGH_BYTES = Buffer.from(Array.from({ length: 0x80 }, (_, i) => 0x80 + i));

const crlf = (b: Buffer): Buffer => Buffer.concat([b, Buffer.from('\r\n')]);

/** After a round trip of both peers through the DN, the receiver has nothing new. */
async function expectNothingRelayed(sender: DnPeer, receiver: DnPeer): Promise<void> {
  await sender.barrier();
  await receiver.barrier();
  expect(receiver.unread).toEqual([]);
  expectLinesWithinLimit(receiver);
}

afterEach(async () => {
  for (const p of open.splice(0)) p.destroy();
  await dn.stop();
});

describe('relayed lines never grow and never exceed 39,998 bytes', () => {
  it('invalid UTF-8 (raw 0x80-0xFF) closes the sender; nothing is relayed', async () => {
    ({ dn, port } = await startTestDirectory());
    const a = await join('a');
    const b = await join('b');
    a.p.sendRaw(crlf(sized(687, `${a.nick}!PUBLIC!`, 39_988, HIGH_BYTES)));
    expect(await closesWithin(a.p)).toBe(true);
    await b.p.barrier();
    expect(b.p.unread).toEqual([]);
    expectLinesWithinLimit(b.p);
    expect(dn.stats.disconnects.get('invalid-utf8')).toBe(1);
    await expectStillServing(port, 'utf8', open);
  });

  it('raw non-ASCII (2- and 3-byte UTF-8) is not relayed; the sender stays; a counter says why', async () => {
    ({ dn, port } = await startTestDirectory());
    const a = await join('a');
    const b = await join('b');
    a.p.sendRaw(crlf(sized(687, `${a.nick}!PUBLIC!`, 39_988, Buffer.from('é'))));
    a.p.sendRaw(crlf(sized(685, `${a.nick}!${b.nick}!fill `, 20_000, Buffer.from('€'))));
    await expectNothingRelayed(a.p, b.p);
    expect(dn.stats.relayRefused['would-grow']).toBe(2);
    expect(a.p.isClosed).toBe(false);
    await expectStillServing(port, 'non-ascii', open);
  });

  it('compact spacing is not relayed (its reference form is 3 bytes longer), 39,998 bytes or short', async () => {
    ({ dn, port } = await startTestDirectory());
    const a = await join('a');
    const b = await join('b');
    a.p.sendRaw(crlf(sized(687, `${a.nick}!PUBLIC!`, MAX_EMIT_BYTES, undefined, true)));
    a.p.sendRaw(`{"type":687,"line":"${a.nick}!PUBLIC!short"}\r\n`);
    await expectNothingRelayed(a.p, b.p);
    expect(dn.stats.relayRefused['would-grow']).toBe(2);
  });

  it('canonical lines: 39,998 bytes relayed byte-identical; 39,999 and 40,000 accepted but not relayed', async () => {
    ({ dn, port } = await startTestDirectory());
    const a = await join('a');
    const b = await join('b');
    const ok = sized(687, `${a.nick}!PUBLIC!`, MAX_EMIT_BYTES);
    a.p.sendRaw(crlf(ok));
    expect(await b.p.nextLine()).toBe(crlf(ok).toString('latin1'));
    a.p.sendRaw(crlf(sized(687, `${a.nick}!PUBLIC!`, MAX_EMIT_BYTES + 1)));
    a.p.sendRaw(crlf(sized(685, `${a.nick}!${b.nick}!`, MAX_LINE_BYTES)));
    await expectNothingRelayed(a.p, b.p);
    expect(dn.stats.relayRefused['over-limit']).toBe(2);
    expect(a.p.isClosed).toBe(false);
  });

  it('a shrinking non-canonical line (extra key, spacing, \\/ escape) is relayed in the reference form', async () => {
    ({ dn, port } = await startTestDirectory());
    const a = await join('a');
    const b = await join('b');
    a.p.sendRaw(`{ "line" : "${a.nick}!PUBLIC!a\\/b" , "type" : 687, "x": [1, 2, 3] }\r\n`);
    expect(await b.p.nextLine()).toBe(encodeEnvelope(687, `${a.nick}!PUBLIC!a/b`));
  });
});
