/**
 * One coinjoin with every peer on a private Tor network: our DN publishes an onion, two makers
 * (one bonded) publish their own ephemeral onions and reach the DN through SOCKS, the taker
 * too; the coinjoin confirms on the regtest node with the makers' fees. A direct connection to
 * a maker's onion gets its privmsg answered on that connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type net from 'node:net';
import type { Dialer, HostPort } from '../../../src/client/dialer.js';
import { NickIdentity } from '../../../src/client/identity.js';
import type { DirectoryServer } from '../../../src/directory/index.js';
import { makerOnion } from '../../../src/maker/onion.js';
import { buildFill, toBody } from '../../../src/protocol/coinjoin/messages.js';
import { encodeEnvelope, LineSplitter, parseEnvelope } from '../../../src/protocol/framing.js';
import { buildClientHandshake } from '../../../src/protocol/handshake.js';
import { parsePrivmsgBody, splitRouted, verifyPrivmsg } from '../../../src/protocol/jm-message.js';
import { MsgType } from '../../../src/protocol/message-types.js';
import { NOT_SERVING_ONION } from '../../../src/protocol/onion.js';
import { dialSocks } from '../../../src/transport/socks.js';
import type { OnionServiceSource } from '../../../src/transport/tor/onion-service.js';
import { silentLogger } from '../../../src/util/logger.js';
import { lockBond, newWallet, startDn, startMaker, startTaker, waitConfirmed, walletTotal as total, type NetTransport, type TestMaker, type TestTaker } from '../../helpers/coinjoin-net.js';
import { regtestAvailable, startRegtestNode, type RegtestNode } from '../../helpers/regtest-node.js';
import { skipWithoutTor, startTorNetwork, type TorNetwork } from '../../helpers/tor-network.js';

const skip = skipWithoutTor() || !regtestAvailable();
const COIN = 100_000_000;
const AMOUNT = 30_000_000;
const ONION_LOC = /^[a-z2-7]{56}\.onion:5222$/;
const rawTx = z.object({ confirmations: z.number().optional(), vout: z.array(z.object({ value: z.number() })) });

/** Reads lines from a socket until one is a privmsg; returns it verified. */
function nextPrivmsg(sock: net.Socket, ms: number): Promise<{ from: string; to: string; cmd: string; args: string }> {
  return new Promise((resolve, reject) => {
    const split = new LineSplitter();
    const t = setTimeout(() => done(new Error(`no privmsg within ${ms} ms`)), ms);
    const onClose = (): void => done(new Error('connection closed'));
    const done = (err: Error | null, v?: { from: string; to: string; cmd: string; args: string }): void => {
      clearTimeout(t);
      sock.off('data', onData);
      sock.off('close', onClose);
      if (err) reject(err);
      else resolve(v!);
    };
    const onData = (chunk: Buffer): void => {
      for (const ev of split.push(chunk)) {
        const env = ev.kind === 'line' ? parseEnvelope(ev.text) : null;
        if (!env?.ok || env.env.type !== MsgType.PRIVMSG) continue;
        const r = splitRouted(env.env.line);
        const p = r && parsePrivmsgBody(r.from, r.to, r.body);
        if (!p?.ok) return done(new Error('unparsable privmsg'));
        if (!verifyPrivmsg(p.msg).ok) return done(new Error('bad signature'));
        return done(null, p.msg);
      }
    };
    sock.on('data', onData);
    sock.once('close', onClose);
  });
}

describe.skipIf(skip)('coinjoin with every peer on a private Tor network', () => {
  let tn: TorNetwork;
  let node: RegtestNode;
  let dn: DirectoryServer;
  let dns: HostPort[];
  let transport: NetTransport;
  let bonded: TestMaker;
  let plain: TestMaker;
  let taker: TestTaker;
  let burn = '';
  const t0 = Date.now();

  beforeAll(async () => {
    [tn, node] = await Promise.all([startTorNetwork(), startRegtestNode()]);
    const tTor = Date.now() - t0;
    const control: OnionServiceSource = { kind: 'control', target: { kind: 'tcp', host: '127.0.0.1', port: tn.controlPort }, auth: { cookieFile: tn.cookieFile } };
    const dialer: Dialer = (host, port) => dialSocks({
      socksHost: '127.0.0.1', socksPort: tn.socksPort, host, port, timeoutMs: 60_000, retries: 15, backoffMs: 250, maxBackoffMs: 2_000,
      isolationId: randomBytes(6).toString('hex'),
    });
    transport = { dialer, publisher: () => makerOnion({ source: control, logger: silentLogger() }), connectTimeoutMs: 60_000 };
    const dnStarted = startDn({ onion: control });
    dnStarted.catch(() => undefined); // awaited below; no unhandled rejection meanwhile

    const [wa, wb, wt] = [await newWallet(node), await newWallet(node), await newWallet(node)];
    burn = (await newWallet(node)).wallet.getAddress(0, 0, 0).address;
    for (const a of [wa.wallet.getAddress(0, 0, 0), wa.wallet.getAddress(2, 0, 0), wb.wallet.getAddress(0, 0, 0), wt.wallet.getAddress(0, 0, 0)]) await node.mine(1, a.address);
    await node.mine(101, burn);
    await lockBond(node, wa, burn);
    const d = await dnStarted;
    dn = d.server;
    dns = [d.addr];
    const tDn = Date.now() - t0;
    [bonded, plain] = await Promise.all([startMaker(node, dns, wa, { transport }), startMaker(node, dns, wb, { algorithm: 'basic', transport })]);
    taker = await startTaker(node, dns, wt, transport);
    console.log(`tor ${tTor} ms (bootstrap ${tn.bootstrapSeconds.toFixed(1)} s), DN onion ${dns[0]!.host} at ${tDn} ms, setup ${Date.now() - t0} ms`);
  }, 180_000);

  afterAll(async () => {
    await taker?.stop();
    await bonded?.maker.stop();
    await plain?.maker.stop();
    await dn?.stop();
    await node?.stop();
    await tn?.stop();
    console.log(`tor coinjoin total ${Date.now() - t0} ms`);
  }, 60_000);

  it('the DN and both makers are on onions; the DN knows the makers by their onion locations', () => {
    expect(`${dns[0]!.host}:${dns[0]!.port}`).toMatch(ONION_LOC);
    for (const m of [bonded, plain]) {
      expect(m.direct.location).toMatch(ONION_LOC);
      expect(dn.registry.byNick(m.maker.nick)?.location).toBe(m.direct.location);
    }
    expect(dn.registry.byNick(taker.pool.nick)?.location).toBe(NOT_SERVING_ONION);
  });

  it("the DN proves both makers' onions through tor (their signed !orderbook replies) before listing them", async () => {
    const t1 = Date.now();
    while (dn.locationCounts().proven < 2) {
      if (Date.now() - t1 > 150_000) throw new Error(`not proven: ${JSON.stringify(dn.locationCounts())} ${JSON.stringify(dn.prover?.stats)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    console.log(`maker onions proven ${Date.now() - t1} ms after the first test; prover ${JSON.stringify(dn.prover?.stats)}`);
    expect(dn.prover!.stats.failed).toBe(0);
    const listed = await taker.pool.client(`${dns[0]!.host}:${dns[0]!.port}`)!.requestPeerlist(60_000);
    for (const m of [bonded, plain]) expect(listed).toContainEqual(expect.objectContaining({ nick: m.maker.nick, location: m.direct.location }));
  }, 180_000);

  it('two makers (one bonded) and a taker complete a coinjoin that confirms', async () => {
    const t1 = Date.now();
    const before = [total(bonded.wallet), total(plain.wallet)];
    const dest = taker.wallet.nextAddress(1, 0).address;
    const r = await taker.taker.coinjoin({ amount: AMOUNT, mixdepth: 0, makers: 2, destination: dest, satPerVb: 2 });
    const confirmed = Promise.all([waitConfirmed(bonded, r.txid), waitConfirmed(plain, r.txid)]);
    await node.mine(1, burn);
    const events = await confirmed;
    console.log(`tor coinjoin txid ${r.txid} in ${Date.now() - t1} ms; miner fee ${r.fee}; cjfees ${r.cjFees}; earned ${events.map((e) => String(e.earned)).join(', ')}`);
    const tx = await node.rpc.call('getrawtransaction', [r.txid, true], rawTx);
    expect(tx.confirmations).toBe(1);
    expect(tx.vout.map((o) => Math.round(o.value * COIN)).filter((v) => v === AMOUNT)).toHaveLength(3);
    expect(new Set(r.makers.map((m) => m.nick))).toEqual(new Set([bonded.maker.nick, plain.maker.nick]));
    expect(taker.watcher.book.get(bonded.maker.nick)?.bond).toBeTruthy();
    for (const [i, m] of [bonded, plain].entries()) {
      const e = events[i]!;
      const fromTaker = r.makers.find((x) => x.nick === m.maker.nick)!;
      expect(e.earned).toBe(fromTaker.cjFee - BigInt(fromTaker.txfee));
      expect(e.earned).toBeGreaterThan(0n);
      expect(total(m.wallet) - before[i]!).toBe(Number(e.earned));
    }
  }, 120_000);

  it("a direct connection to a maker's onion: silent handshake, privmsg answered on that connection", async () => {
    const [host, port] = plain.direct.location!.split(':') as [string, string];
    const sock = await transport.dialer!(host, Number(port));
    try {
      const me = NickIdentity.random();
      sock.write(encodeEnvelope(MsgType.HANDSHAKE, buildClientHandshake({ nick: me.nick, location: NOT_SERVING_ONION, network: 'regtest', features: {} })));
      const offer = plain.maker.offers.current[0]!;
      const body = toBody(buildFill(offer.oid, offer.maxsize + 1, 'ab'.repeat(32), randomBytes(32)));
      const reply = nextPrivmsg(sock, 30_000);
      sock.write(encodeEnvelope(MsgType.PRIVMSG, me.signPrivmsg(plain.maker.nick, 'fill', body.slice('!fill '.length))));
      expect(await reply).toEqual({ from: plain.maker.nick, to: me.nick, cmd: 'error', args: 'amount out of range', pubkeyHex: expect.any(String), sigBase64: expect.any(String) });
    } finally {
      sock.destroy();
    }
  }, 60_000);
});
