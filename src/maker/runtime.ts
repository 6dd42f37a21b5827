/**
 * Shared start-up for the jm-maker and jm-taker commands: validated options, the wallet
 * password (file, JM_WALLET_PASSWORD, or a hidden prompt), wallet load + sync, RPC client,
 * directory pool over TCP or Tor's SOCKS port. Errors are CliError with a one-line message.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { z } from 'zod';
import { pino, type Logger } from 'pino';
import { DirectoryPool } from '../client/directory-pool.js';
import { NickIdentity } from '../client/identity.js';
import { parseHostPort, type Dialer, type HostPort } from '../client/dialer.js';
import { DIRECTORIES_ENV, LIST_FILE_NAME, resolveClientNetwork, type ClientNetworkSettings } from '../client/directory-list.js';
import { CLIENT_DATA_DIR_ENV, clientDataDir } from '../util/data-dir.js';
import { dialSocks } from '../transport/socks.js';
import { CoreRpc } from '../wallet/backend/rpc.js';
import { WalletSync } from '../wallet/backend/sync.js';
import { resolveNetwork, resolveRpc, type RpcFlags } from '../wallet/config.js';
import type { NetworkParams } from '../wallet/network.js';
import { Wallet } from '../wallet/wallet.js';

export class CliError extends Error {}

export const commonSchema = z.object({
  wallet: z.string().min(1, '--wallet is required'),
  directory: z.string().optional(),
  transport: z.enum(['tcp', 'tor']).optional(),
  wireNetwork: z.string().optional(),
  dataDir: z.string().min(1).optional(),
  socks: z.string().default('127.0.0.1:9050'),
  network: z.string().min(1, '--network is required'),
  hrp: z.string().optional(),
  passwordFile: z.string().optional(),
  rpcUrl: z.string().optional(),
  rpcUser: z.string().optional(),
  rpcPassword: z.string().optional(),
  rpcCookieFile: z.string().optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  gap: z.string().regex(/^\d+$/, '--gap must be an integer').transform(Number).refine((n) => n >= 1 && n <= 1000, '--gap must be in [1, 1000]').default(20),
  lookahead: z.string().regex(/^\d+$/, '--lookahead must be an integer').transform(Number).refine((n) => n >= 1 && n <= 1_000_000, '--lookahead must be in [1, 1000000]').default(1000),
});

/** Adds the wallet, directory, transport, RPC and sync flags jm-maker and jm-taker share (commonSchema parses them). */
export function addCommonOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--wallet <file>', 'encrypted wallet file (jm-wallet generate)')
    .option('--directory <list>', `directory nodes HOST:PORT[,HOST:PORT...] (default: ${DIRECTORIES_ENV}, else <data-dir>/${LIST_FILE_NAME}, else the built-in list)`)
    .requiredOption('--network <net>', 'mainnet, testnet, signet or regtest')
    .option('--wire-network <net>', 'network name in the directory handshake, if not --network (testnet meets reference peers on a regtest chain)')
    .option('--data-dir <dir>', `holds ${LIST_FILE_NAME} (default ${CLIENT_DATA_DIR_ENV}, $STATE_DIRECTORY, or ~/.local/share/joinmarket-ts)`)
    .option('--transport <tcp|tor>', 'reach directories through Tor (tor; default) or directly (tcp; default on regtest)')
    .option('--socks <host:port>', "Tor's SOCKS5 port", '127.0.0.1:9050')
    .option('--hrp <hrp>', 'bech32 prefix override (test chains)')
    .option('--password-file <file>', 'first line is the wallet password (else JM_WALLET_PASSWORD, else a prompt)')
    .option('--rpc-url <url>', 'Bitcoin Core RPC URL')
    .option('--rpc-user <user>', 'RPC user')
    .option('--rpc-password <password>', 'RPC password (or JM_RPC_PASSWORD)')
    .option('--rpc-cookie-file <file>', 'RPC cookie file')
    .option('--gap <n>', 'gap limit for address discovery (default 20)')
    .option('--lookahead <n>', 'addresses per branch watched in Core (default 1000)');
}
export type CommonOptions = z.infer<typeof commonSchema>;

/** zod-parses raw commander options into a typed object, or throws one readable CliError. */
export function parseOptions<T extends z.ZodType>(schema: T, raw: unknown): z.infer<T> {
  const r = schema.safeParse(raw);
  if (!r.success) {
    const flag = (p: PropertyKey[]): string => `--${p.join('.').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    throw new CliError(r.error.issues.map((i) => (i.message.startsWith('--') || i.path.length === 0 ? i.message : `${flag(i.path)}: ${i.message}`)).join('; '));
  }
  return r.data;
}

/** Wire network, transport and directories; offline, so usage errors come before any wallet or network work. */
export function clientNetwork(o: CommonOptions, log?: Logger): ClientNetworkSettings {
  let net: ClientNetworkSettings;
  try {
    net = resolveClientNetwork({ ...o, dataDir: clientDataDir(o.dataDir, process.env) }, process.env);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  log?.info({ directories: net.directories.map((d) => `${d.host}:${d.port}`), from: net.source, transport: net.transport, wireNetwork: net.wireNetwork }, 'directories');
  for (const d of net.skipped) log?.warn({ directory: `${d.host}:${d.port}`, reason: d.reason }, 'not dialling a retired directory');
  return net;
}

export function logger(name: string, level: CommonOptions['logLevel']): Logger {
  return pino({ name, level }, pino.destination(2));
}

async function prompt(question: string): Promise<string> {
  if (!process.stdin.isTTY) throw new CliError('no password given: use --password-file, JM_WALLET_PASSWORD, or run on a terminal');
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  process.stderr.write(question);
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  try {
    return await new Promise<string>((resolve) => rl.question('', resolve));
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

export async function walletPassword(o: CommonOptions): Promise<string> {
  if (o.passwordFile) {
    try {
      return readFileSync(o.passwordFile, 'utf8').split(/\r?\n/)[0] ?? '';
    } catch (e) {
      throw new CliError(`cannot read --password-file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }
  const env = process.env['JM_WALLET_PASSWORD'];
  if (env !== undefined) return env;
  return prompt('Wallet password: ');
}

export interface OpenedWallet {
  network: NetworkParams;
  wallet: Wallet;
  rpc: CoreRpc;
  sync: WalletSync;
  save: () => Promise<void>;
}

export async function openWallet(o: CommonOptions, log: Logger): Promise<OpenedWallet> {
  let network: NetworkParams;
  try {
    network = resolveNetwork(o.network, o.hrp);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const pw = await walletPassword(o);
  const wallet = await Wallet.load(o.wallet, pw, network);
  const flags: RpcFlags = {
    ...(o.rpcUrl !== undefined ? { rpcUrl: o.rpcUrl } : {}),
    ...(o.rpcUser !== undefined ? { rpcUser: o.rpcUser } : {}),
    ...(o.rpcPassword !== undefined ? { rpcPassword: o.rpcPassword } : {}),
    ...(o.rpcCookieFile !== undefined ? { rpcCookieFile: o.rpcCookieFile } : {}),
  };
  let r;
  try {
    r = resolveRpc(network, flags, {});
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const rpc = new CoreRpc({ url: r.url, auth: r.auth, timeoutMs: r.timeoutMs });
  const sync = new WalletSync(wallet, rpc, { logger: log, gap: o.gap, lookahead: o.lookahead });
  const res = await sync.sync();
  log.info({ balances: res.balances.map(String), tip: res.tipHeight }, 'wallet synced');
  return { network, wallet, rpc, sync, save: () => wallet.save(o.wallet) };
}

export function dialerFor(o: CommonOptions, net: ClientNetworkSettings): Dialer | undefined {
  if (net.transport !== 'tor') return undefined;
  let socks: HostPort;
  try {
    socks = parseHostPort(o.socks);
  } catch (e) {
    throw new CliError(`--socks: ${(e as Error).message}`);
  }
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
export function poolFactory(o: CommonOptions, net: ClientNetworkSettings, log: Logger): (identity?: NickIdentity, extras?: PoolExtras) => DirectoryPool {
  const dns = net.directories.map(({ host, port }) => ({ host, port }));
  return (identity = NickIdentity.random(), extras = {}) => {
    const dialer = extras.dialer ?? dialerFor(o, net);
    return new DirectoryPool({
      directories: dns, identity, network: net.wireNetwork, logger: log, connectTimeoutMs: net.transport === 'tor' ? 120_000 : 15_000,
      ...(dialer ? { dialer } : {}),
      ...(extras.location !== undefined ? { location: extras.location } : {}),
    });
  };
}
