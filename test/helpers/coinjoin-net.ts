/**
 * A small coinjoin network for end-to-end tests: a real regtest node, our DN (loopback TCP, or
 * an onion), real makers (Wallet + WalletSync + Maker over a DirectoryPool, each serving direct
 * connections) and real takers; plus a scripted malicious taker that speaks the protocol by hand.
 * A NetTransport switches everyone to SOCKS and the makers to their own onions.
 */
import { Transaction, type Network } from 'bitcoinjs-lib';
import { tmpdir } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryServer, type DirectoryLimitsInput } from '../../src/directory/index.js';
import { DirectoryPool } from '../../src/client/directory-pool.js';
import { NickIdentity } from '../../src/client/identity.js';
import type { Dialer, HostPort } from '../../src/client/dialer.js';
import { OnionLocationPublisher } from '../../src/directory/onion-publisher.js';
import { DirectChannel, type DirectPublisher } from '../../src/maker/direct-channel.js';
import type { OnionServiceSource } from '../../src/transport/tor/onion-service.js';
import { silentLogger } from '../../src/util/logger.js';
import { OrderbookWatcher } from '../../src/orderbook/watcher.js';
import { decryptMessage, encryptMessage, makeBox, naclKeyPairFromSecret, type CjBox } from '../../src/protocol/coinjoin/box.js';
import { buildFill, toBody } from '../../src/protocol/coinjoin/messages.js';
import { formatTxPlaintext, parseIoauth, type ParsedIoauth } from '../../src/protocol/coinjoin/payloads.js';
import { generatePodle, podleCommitment, serializeRevelation, type PodleProof } from '../../src/protocol/coinjoin/podle.js';
import { DEFAULT_YIELD_CONFIG, type YieldConfig } from '../../src/protocol/coinjoin/yield.js';
import { bytesToHex, hexToBytes, randomPrivateKey } from '../../src/protocol/crypto.js';
import { cjFeeFor, type Offer } from '../../src/protocol/offers.js';
import { CommitmentBlacklist } from '../../src/maker/commitments.js';
import { Maker, type CoinjoinEvent, type MakerTimeouts } from '../../src/maker/maker.js';
import type { MakerBond } from '../../src/maker/ports.js';
import { PoolChannel } from '../../src/maker/pool-channel.js';
import { CoreMakerWallet, loadMakerBond } from '../../src/maker/wallet-adapter.js';
import { CoreTakerWallet, poolNetwork } from '../../src/taker/adapters.js';
import { coreBondChain } from '../../src/wallet/backend/bond-verifier.js';
import { TakerCommitments } from '../../src/taker/commitments.js';
import { gatherOffers } from '../../src/taker/offer-gather.js';
import { Taker } from '../../src/taker/taker.js';
import { systemClock } from '../../src/util/clock.js';
import { WalletSync } from '../../src/wallet/backend/sync.js';
import { toBitcoinjs } from '../../src/wallet/network.js';
import { locktimeToTimenumber } from '../../src/wallet/timenumber.js';
import { Wallet } from '../../src/wallet/wallet.js';
import type { RegtestNode } from './regtest-node.js';

export const DN_NETWORK = 'regtest';
const FAST_BACKOFF = { initialMs: 50, maxMs: 500 };

/** How peers reach the directories and how makers publish their direct listener. */
export interface NetTransport {
  /** Default plain TCP. */
  dialer?: Dialer;
  /** A fresh publisher per maker (an onion); default the loopback location. */
  publisher?: () => DirectPublisher;
  connectTimeoutMs?: number;
}

/** Our DN on loopback TCP, or behind an onion published through `onion` (then addr is `<onion>:5222`). */
export async function startDn(o: { onion?: OnionServiceSource; limits?: DirectoryLimitsInput } = {}): Promise<{ server: DirectoryServer; addr: HostPort }> {
  const server = new DirectoryServer({
    network: DN_NETWORK, listen: { host: '127.0.0.1', port: 0 }, ...(o.limits ? { limits: o.limits } : {}),
    ...(o.onion ? { mode: 'onion', locationPublisher: new OnionLocationPublisher({ source: o.onion, logger: silentLogger(), clock: systemClock }) } : { mode: 'loopback' }),
  });
  const a = await server.start();
  if (!o.onion) return { server, addr: { host: '127.0.0.1', port: a.port } };
  const loc = server.publicLocation;
  const m = /^([a-z2-7]{56}\.onion):(\d+)$/.exec(loc);
  if (!m) throw new Error(`DN published no onion location: ${loc}`);
  return { server, addr: { host: m[1]!, port: Number(m[2]) } };
}

export function newPool(dns: HostPort[], identity = NickIdentity.random(), t: NetTransport = {}, location?: string): DirectoryPool {
  return new DirectoryPool({
    directories: dns, identity, network: DN_NETWORK, backoff: FAST_BACKOFF,
    ...(t.dialer ? { dialer: t.dialer } : {}), ...(t.connectTimeoutMs ? { connectTimeoutMs: t.connectTimeoutMs } : {}),
    ...(location !== undefined ? { location } : {}),
  });
}

/** A fresh wallet synced against the node (its own watch-only Core wallet). */
export async function newWallet(node: RegtestNode): Promise<{ wallet: Wallet; sync: WalletSync }> {
  const wallet = Wallet.create({ network: node.network, words: 12 });
  const sync = new WalletSync(wallet, node.rpc, { gap: 6, lookahead: 40, bondTimenumbers: 'all', rescan: 'auto' });
  await sync.ensureWatchWallet();
  return { wallet, sync };
}

export interface TestMaker {
  maker: Maker;
  wallet: Wallet;
  core: CoreMakerWallet;
  commitments: CommitmentBlacklist;
  commitmentFile: string;
  pool: DirectoryPool;
  direct: DirectChannel;
}

export async function startMaker(
  node: RegtestNode, dns: HostPort[], w: { wallet: Wallet; sync: WalletSync },
  o: { yieldConfig?: Partial<YieldConfig>; algorithm?: 'privacy' | 'basic'; timeouts?: Partial<MakerTimeouts>; transport?: NetTransport; bond?: MakerBond | null } = {},
): Promise<TestMaker> {
  const t = o.transport ?? {};
  await w.sync.sync();
  const core = new CoreMakerWallet(w.wallet, w.sync, node.rpc);
  const commitmentFile = join(mkdtempSync(join(tmpdir(), 'jm-maker-')), 'commitmentlist');
  const commitments = await CommitmentBlacklist.load(commitmentFile);
  const identity = NickIdentity.random();
  const publisher = t.publisher?.();
  const direct = new DirectChannel({ identity, network: DN_NETWORK, ...(publisher ? { publisher } : {}) });
  const pool = newPool(dns, identity, t, await direct.listen());
  const channel = new PoolChannel(pool, {
    anonymousPool: (id, dialer) => newPool(dns, id, { ...t, dialer }), ...(t.dialer ? { dialer: t.dialer } : {}),
    connectTimeoutMs: t.connectTimeoutMs ?? 10_000,
  });
  const maker = new Maker({
    channels: [channel, direct], wallet: core, chain: core, commitments, network: toBitcoinjs(node.network),
    yieldConfig: { ...DEFAULT_YIELD_CONFIG, cjfeeR: '0.0002', txfee: 1_000, minsize: 100_000, ...o.yieldConfig },
    algorithm: o.algorithm ?? 'privacy', bond: o.bond !== undefined ? o.bond : await loadMakerBond(w.wallet, node.rpc),
    refreshWallet: () => core.refresh(),
    timeouts: { authMs: 10_000, txMs: 15_000, watchIntervalMs: 200, unseenTimeoutMs: 60_000, ...o.timeouts },
  });
  await maker.start();
  await pool.whenConnected(t.connectTimeoutMs ?? 10_000);
  return { maker, wallet: w.wallet, core, commitments, commitmentFile, pool, direct };
}

export interface TestTaker {
  taker: Taker;
  wallet: Wallet;
  sync: WalletSync;
  commitments: TakerCommitments;
  watcher: OrderbookWatcher;
  pool: DirectoryPool;
  stop(): Promise<void>;
}

export async function startTaker(node: RegtestNode, dns: HostPort[], w: { wallet: Wallet; sync: WalletSync }, t: NetTransport = {}): Promise<TestTaker> {
  await w.sync.sync();
  const pool = newPool(dns, NickIdentity.random(), t);
  const watcher = new OrderbookWatcher({ pool, network: DN_NETWORK, chain: coreBondChain(node.rpc) });
  watcher.start();
  pool.start();
  await pool.whenConnected(t.connectTimeoutMs ?? 10_000);
  const core = new CoreTakerWallet(w.wallet, node.rpc);
  const commitments = TakerCommitments.memory();
  const taker = new Taker({
    net: poolNetwork(pool), wallet: core, chain: core, commitments, network: toBitcoinjs(node.network),
    offers: (q) => gatherOffers(watcher, q, { waitMs: 15_000, quietMs: 300, clock: systemClock }),
    timeouts: { ioauthMs: 15_000, sigMs: 15_000 },
  });
  return { taker, wallet: w.wallet, sync: w.sync, commitments, watcher, pool, stop: async () => { await watcher.stop(); await pool.stop(); } };
}

/** A taker that speaks the protocol by hand to make a maker sign things it must not. */
export class MalloryTaker {
  readonly pool: DirectoryPool;
  private readonly nacl = naclKeyPairFromSecret(randomPrivateKey());
  private box: CjBox | null = null;

  constructor(dns: HostPort[], private readonly network: Network) {
    this.pool = newPool(dns);
  }

  async start(): Promise<void> {
    this.pool.start();
    await this.pool.whenConnected(10_000);
  }

  /** Next privmsg from `from` with one of `cmds`. */
  next(from: string, cmds: string[], ms = 15_000): Promise<{ cmd: string; args: string }> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => { off(); reject(new Error(`no ${cmds.join('/')} from ${from}`)); }, ms);
      const off = this.pool.on('privmsg', (m) => {
        if (m.from !== from || !cmds.includes(m.cmd)) return;
        clearTimeout(t);
        off();
        resolve({ cmd: m.cmd, args: m.args });
      });
    });
  }

  proof(key: Uint8Array, utxo: string, index: number): PodleProof {
    return generatePodle(key, utxo, index, randomPrivateKey());
  }

  fill(maker: string, oid: number, amount: number, commitment: Uint8Array): void {
    const body = toBody(buildFill(oid, amount, this.nacl.publicKeyHex, commitment));
    this.pool.sendPrivmsg(maker, 'fill', body.slice('!fill '.length));
  }

  /** !fill → !pubkey → !auth → !ioauth with a real PoDLE. */
  async toIoauth(maker: string, offer: Offer, amount: number, proof: PodleProof): Promise<ParsedIoauth> {
    const reply = this.next(maker, ['pubkey', 'error']);
    this.fill(maker, offer.oid, amount, podleCommitment(proof.P2));
    const pk = await reply;
    if (pk.cmd !== 'pubkey') throw new Error(`maker refused: ${pk.args}`);
    this.box = makeBox(this.nacl.secretKey, hexToBytes(pk.args.split(' ')[0]!));
    const io = this.next(maker, ['ioauth']);
    this.pool.sendPrivmsg(maker, 'auth', encryptMessage(this.box, serializeRevelation(proof), randomPrivateKey().subarray(0, 24)));
    const plain = decryptMessage(this.box, (await io).args);
    if (!plain.ok) throw new Error(plain.reason);
    const parsed = parseIoauth(plain.value, this.network);
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.value;
  }

  /** A tx with our input, the maker's inputs and outputs as honest, then `tamper`; sent as !tx. */
  sendTx(maker: string, io: ParsedIoauth, inputs: { values: number[]; own: { txid: string; vout: number } }, offer: Offer, amount: number, myScript: Uint8Array, tamper: (tx: Transaction) => void): void {
    const tx = new Transaction();
    tx.version = 2;
    tx.addInput(hexToBytes(inputs.own.txid).reverse(), inputs.own.vout, 0xfffffffe);
    for (const u of io.utxos) tx.addInput(hexToBytes(u.txid).reverse(), u.vout, 0xfffffffe);
    const total = inputs.values.reduce((s, v) => s + v, 0);
    tx.addOutput(io.cjScript, BigInt(amount));
    tx.addOutput(io.changeScript, BigInt(total - amount - offer.txfee) + cjFeeFor(offer, amount));
    tx.addOutput(myScript, BigInt(amount));
    tamper(tx);
    this.pool.sendPrivmsg(maker, 'tx', encryptMessage(this.box!, formatTxPlaintext(tx), randomPrivateKey().subarray(0, 24)));
  }

  stop(): Promise<void> {
    return this.pool.stop();
  }
}

export { bytesToHex };

/** Locks 1 coin of mixdepth 2 in a fidelity bond (locktime ~2 months ahead) and confirms it. */
export async function lockBond(node: RegtestNode, w: { wallet: Wallet; sync: WalletSync }, burn: string): Promise<string> {
  await w.sync.sync();
  const d0 = new Date((await node.rpc.medianTimePast()) * 1000);
  const locktime = Date.UTC(d0.getUTCFullYear(), d0.getUTCMonth() + 2, 1) / 1000;
  const bond = w.wallet.bond(locktimeToTimenumber(locktime)!);
  const { tx } = w.wallet.createSpend({ mixdepth: 2, destination: bond.address, amountSat: 100_000_000n, satPerVb: 2 });
  await node.rpc.sendRawTransaction(tx.toHex());
  await node.mine(1, burn);
  return bond.address;
}

/** Sats in a wallet's known UTXOs. */
export const walletTotal = (w: Wallet): number => w.utxos().reduce((s, u) => s + Number(u.valueSat), 0);

/** Resolves with the maker's event once it has seen `txid` confirm. */
export function waitConfirmed(m: TestMaker, txid: string): Promise<CoinjoinEvent> {
  return new Promise((resolve) => {
    const off = m.maker.on('coinjoin', (e) => {
      if (e.txid === txid && e.status === 'confirmed') {
        off();
        resolve(e);
      }
    });
  });
}
