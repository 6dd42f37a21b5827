/**
 * Shared start-up for the jm-maker and jm-taker commands: their common options, the wallet
 * (offline checks first, then the password, load and sync), the RPC client, and directory pools
 * over TCP or Tor's SOCKS port. Option errors are UsageError with a one-line message.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { address as bjsAddress } from 'bitcoinjs-lib';
import { pino, type Logger } from 'pino';
import { DirectoryPool } from '../client/directory-pool.js';
import { NickIdentity } from '../client/identity.js';
import type { Dialer, HostPort } from '../client/dialer.js';
import { resolveClientNetwork, type ClientNetworkSettings } from '../client/directory-list.js';
import type { ClientNickAuthMode } from '../client/nick-auth.js';
import { clientDataDir } from '../util/data-dir.js';
import { dialSocks } from '../transport/socks.js';
import { CoreRpc } from '../wallet/backend/rpc.js';
import { WalletSync } from '../wallet/backend/sync.js';
import { resolveNetwork, resolveRpc, type RpcFlags } from '../wallet/config.js';
import { toBitcoinjs, type NetworkParams } from '../wallet/network.js';
import { Wallet } from '../wallet/wallet.js';
import { WalletNetworkError } from '../wallet/wallet-file.js';
import { CLIENT_NETWORK_OPTIONS, HRP, LOG_LEVEL, NETWORK, PASSWORD_FILE, RPC_OPTIONS, SYNC_OPTIONS, WALLET, required, type ParsedOptions } from './options.js';
import { UsageError } from './program.js';
import { walletPassword } from './prompt.js';

/** The options jm-maker and jm-taker share. */
export const BOT_OPTIONS = {
  wallet: required(WALLET),
  network: NETWORK,
  ...CLIENT_NETWORK_OPTIONS,
  hrp: HRP,
  passwordFile: PASSWORD_FILE,
  ...RPC_OPTIONS,
  ...SYNC_OPTIONS,
  logLevel: LOG_LEVEL,
} as const;
export type BotOptions = ParsedOptions<typeof BOT_OPTIONS>;
export type ClientNetworkOptions = ParsedOptions<typeof CLIENT_NETWORK_OPTIONS> & { network: string };

export function logger(name: string, level: BotOptions['logLevel']): Logger {
  return pino({ name, level }, pino.destination(2));
}

export function rpcFlags(o: { rpcUrl?: string | undefined; rpcUser?: string | undefined; rpcPassword?: string | undefined; rpcCookieFile?: string | undefined; rpcTimeout?: number | undefined }): RpcFlags {
  return {
    ...(o.rpcUrl !== undefined ? { rpcUrl: o.rpcUrl } : {}),
    ...(o.rpcUser !== undefined ? { rpcUser: o.rpcUser } : {}),
    ...(o.rpcPassword !== undefined ? { rpcPassword: o.rpcPassword } : {}),
    ...(o.rpcCookieFile !== undefined ? { rpcCookieFile: o.rpcCookieFile } : {}),
    ...(o.rpcTimeout !== undefined ? { rpcTimeout: String(o.rpcTimeout) } : {}),
  };
}

export interface OpenedWallet {
  network: NetworkParams;
  wallet: Wallet;
  rpc: CoreRpc;
  sync: WalletSync;
  save: () => Promise<void>;
}

/** The wallet's network and the RPC settings, checked without touching the network or the password. */
export function walletSetup(o: BotOptions): { network: NetworkParams; rpc: CoreRpc } {
  try {
    const network = resolveNetwork(o.network, o.hrp);
    if (!existsSync(o.wallet)) throw new Error(`--wallet: no wallet file at ${o.wallet} (jm-wallet generate creates one)`);
    const r = resolveRpc(network, rpcFlags(o), {});
    return { network, rpc: new CoreRpc({ url: r.url, auth: r.auth, timeoutMs: r.timeoutMs }) };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** The output script of an address given by `flag`; UsageError when it is not an address of `network`. */
export function outputScript(flag: string, address: string, network: NetworkParams): Uint8Array {
  try {
    return bjsAddress.toOutputScript(address, toBitcoinjs(network));
  } catch {
    throw new UsageError(`${flag}: "${address}" is not a valid ${network.name} address`);
  }
}

/**
 * Wallet.load for a command line: a wallet of another network than --network is a usage error
 * (exit 2: the user picked the wrong --network or the wrong file), like any other bad flag.
 */
export async function loadWallet(file: string, password: string, network: NetworkParams): Promise<Wallet> {
  try {
    return await Wallet.load(file, password, network);
  } catch (e) {
    if (e instanceof WalletNetworkError) throw new UsageError(`--network ${e.requested}: ${file} is a ${e.walletNetwork} wallet`);
    throw e;
  }
}

export async function openWallet(o: BotOptions, log: Logger, setup = walletSetup(o)): Promise<OpenedWallet> {
  const { network, rpc } = setup;
  const pw = await walletPassword(o.passwordFile);
  const wallet = await loadWallet(o.wallet, pw, network);
  const sync = new WalletSync(wallet, rpc, { logger: log, gap: o.gap ?? 20, lookahead: o.lookahead ?? 1000 });
  const res = await sync.sync();
  log.info({ balances: res.balances.map(String), tip: res.tipHeight }, 'wallet synced');
  return { network, wallet, rpc, sync, save: () => wallet.save(o.wallet) };
}

/** Wire network, transport and directories: offline, so usage errors come before any wallet or network work. */
export function clientNetwork(o: ClientNetworkOptions, log?: Logger): ClientNetworkSettings {
  let net: ClientNetworkSettings;
  try {
    net = resolveClientNetwork({ ...o, dataDir: clientDataDir(o.dataDir, process.env) }, process.env);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  log?.info({ directories: net.directories.map((d) => `${d.host}:${d.port}`), from: net.source, transport: net.transport, wireNetwork: net.wireNetwork }, 'directories');
  for (const d of net.skipped) log?.warn({ directory: `${d.host}:${d.port}`, reason: d.reason }, 'not dialling a retired directory');
  return net;
}

/** A SOCKS dialer with its own circuits when the transport is tor. */
export function dialerFor(o: { socks: HostPort }, net: ClientNetworkSettings): Dialer | undefined {
  if (net.transport !== 'tor') return undefined;
  const socks = o.socks;
  // A fresh isolation id per dialer: the gossip pool never shares a circuit with the maker's.
  const isolationId = randomBytes(8).toString('hex');
  return (host, port) => dialSocks({ socksHost: socks.host, socksPort: socks.port, host, port, timeoutMs: 90_000, retries: 1, isolationId });
}

export interface PoolExtras {
  /** Our serving location (`<onion>:5222`); default NOT-SERVING-ONION. */
  location?: string;
  dialer?: Dialer;
}

/** Pools on the resolved directories, speaking the wire network. */
export function poolFactory(o: { socks: HostPort; nickAuth?: ClientNickAuthMode }, net: ClientNetworkSettings, log: Logger): (identity?: NickIdentity, extras?: PoolExtras) => DirectoryPool {
  const dns = net.directories.map(({ host, port }) => ({ host, port }));
  return (identity = NickIdentity.random(), extras = {}) => {
    const dialer = extras.dialer ?? dialerFor(o, net);
    return new DirectoryPool({
      directories: dns, identity, network: net.wireNetwork, logger: log, connectTimeoutMs: net.transport === 'tor' ? 120_000 : 15_000,
      ...(dialer ? { dialer } : {}),
      ...(extras.location !== undefined ? { location: extras.location } : {}),
      ...(o.nickAuth ? { nickAuth: { mode: o.nickAuth } } : {}),
    });
  };
}
