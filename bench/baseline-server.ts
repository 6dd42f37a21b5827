/**
 * Bare baseline for the benchmark: the least a Node directory could do. It answers every
 * connection's first line with one fixed DN_HANDSHAKE line and writes each PUBMSG line to
 * every other handshaked socket, batched into one write per socket per event-loop turn.
 * No validation, no routing table, no logs (apart from the "ready" line).
 *
 *   node dist/bench/baseline-server.js --listen 127.0.0.1:0 [--network mainnet]
 */
import net from 'node:net';
import { Command } from 'commander';
import { z } from 'zod';
import { encodeEnvelopeBuffer } from '../src/protocol/framing.js';
import { buildDirectoryHandshake } from '../src/protocol/handshake.js';
import { MsgType } from '../src/protocol/message-types.js';
import { nickFromPrivateKey } from '../src/protocol/nick.js';
import { sha256, utf8ToBytes } from '../src/protocol/crypto.js';

const Opts = z.object({
  listen: z.string().regex(/^[0-9.]+:\d{1,5}$/),
  network: z.string().default('mainnet'),
});

const opts = Opts.parse(
  new Command()
    .requiredOption('--listen <host:port>', 'address to listen on')
    .option('--network <net>', 'network string in the handshake reply', 'mainnet')
    .parse(process.argv)
    .opts(),
);

const colon = opts.listen.lastIndexOf(':');
const host = opts.listen.slice(0, colon);
const port = Number(opts.listen.slice(colon + 1));

const HANDSHAKE_REPLY = encodeEnvelopeBuffer(
  MsgType.DN_HANDSHAKE,
  buildDirectoryHandshake({
    nick: nickFromPrivateKey(sha256(utf8ToBytes('jm-bench-baseline'))),
    network: opts.network,
    accepted: true,
    motd: 'bench baseline',
  }),
);

interface Conn {
  sock: net.Socket;
  handshaked: boolean;
  carry: Buffer | null;
}

const conns = new Set<Conn>();
let turnLines: Buffer[] = [];
let turnFrom: Conn[] = [];
let flushScheduled = false;

/** `{"type": 687,` or `{"type":687,`: the type sits within the first 14 bytes. */
function isPubmsg(line: Buffer): boolean {
  const i = line.indexOf('687');
  return i > 0 && i < 14;
}

function flush(): void {
  flushScheduled = false;
  const lines = turnLines;
  const from = turnFrom;
  turnLines = [];
  turnFrom = [];
  const all = lines.length === 1 ? lines[0]! : Buffer.concat(lines);
  const senders = new Set(from);
  for (const c of conns) {
    if (!senders.has(c)) {
      c.sock.write(all);
      continue;
    }
    const mine: Buffer[] = [];
    for (let i = 0; i < lines.length; i++) if (from[i] !== c) mine.push(lines[i]!);
    if (mine.length > 0) c.sock.write(mine.length === 1 ? mine[0]! : Buffer.concat(mine));
  }
}

function onData(c: Conn, chunk: Buffer): void {
  const buf = c.carry ? Buffer.concat([c.carry, chunk]) : chunk;
  c.carry = null;
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(10, start);
    if (nl === -1) break;
    const line = buf.subarray(start, nl + 1);
    start = nl + 1;
    if (!c.handshaked) {
      c.handshaked = true;
      conns.add(c);
      c.sock.write(HANDSHAKE_REPLY);
      continue;
    }
    if (!isPubmsg(line)) continue;
    turnLines.push(line);
    turnFrom.push(c);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  }
  if (start < buf.length) c.carry = Buffer.from(buf.subarray(start));
}

const server = net.createServer({ noDelay: true }, (sock) => {
  const c: Conn = { sock, handshaked: false, carry: null };
  sock.on('data', (chunk: Buffer) => onData(c, chunk));
  sock.on('error', () => sock.destroy());
  sock.on('close', () => conns.delete(c));
});

// Same backlog as our DN asks for (the kernel caps it at net.core.somaxconn).
server.listen({ host, port, backlog: 8192 }, () => {
  const a = server.address();
  const listen = a && typeof a === 'object' ? `${a.address}:${a.port}` : opts.listen;
  process.stdout.write(`${JSON.stringify({ msg: 'ready', listen, pid: process.pid })}\n`);
});

process.on('SIGTERM', () => {
  server.close();
  for (const c of conns) c.sock.destroy();
  process.exit(0);
});
