/**
 * jm-wallet configuration (docs/wallet.md "Configuration"): a JSON file validated with zod,
 * overridden by command-line flags; RPC defaults per network (blockchain-backend.md §2).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { RpcAuth } from './backend/rpc.js';
import { customNetwork, getNetwork, parseNetworkName, type NetworkName, type NetworkParams } from './network.js';

export const walletConfigSchema = z.object({
  network: z.string().optional(),
  hrp: z.string().optional(),
  walletFile: z.string().optional(),
  rpc: z.object({
    url: z.string().optional(),
    user: z.string().optional(),
    password: z.string().optional(),
    cookieFile: z.string().optional(),
    timeoutMs: z.number().int().positive().optional(),
  }).strict().optional(),
  gap: z.number().int().min(1).max(1000).optional(),
  lookahead: z.number().int().min(1).max(1_000_000).optional(),
  interestRate: z.number().positive().max(1).optional(),
  exponent: z.number().positive().max(10).optional(),
}).strict();
export type WalletConfig = z.infer<typeof walletConfigSchema>;

export const DEFAULT_RPC_PORT: Record<NetworkName, number> = { mainnet: 8332, testnet: 18332, signet: 38332, regtest: 18443 };

export function loadWalletConfig(path: string): WalletConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read config ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`config ${path} is not JSON`);
  }
  const r = walletConfigSchema.safeParse(json);
  if (!r.success) throw new Error(`config ${path}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

export function resolveNetwork(name: string | undefined, hrp: string | undefined): NetworkParams {
  const n = parseNetworkName(name ?? 'mainnet');
  return hrp ? customNetwork(n, { hrp }) : getNetwork(n);
}

export interface RpcFlags { rpcUrl?: string; rpcUser?: string; rpcPassword?: string; rpcCookieFile?: string; rpcTimeout?: string }

export function resolveRpc(network: NetworkParams, flags: RpcFlags, cfg: WalletConfig): { url: string; auth: RpcAuth; timeoutMs: number } {
  const url = flags.rpcUrl ?? cfg.rpc?.url ?? `http://127.0.0.1:${DEFAULT_RPC_PORT[network.name]}`;
  const user = flags.rpcUser ?? cfg.rpc?.user;
  const password = flags.rpcPassword ?? process.env['JM_RPC_PASSWORD'] ?? cfg.rpc?.password;
  const cookieFile = flags.rpcCookieFile ?? cfg.rpc?.cookieFile;
  let timeoutMs = cfg.rpc?.timeoutMs ?? 30_000;
  if (flags.rpcTimeout !== undefined) {
    timeoutMs = Number(flags.rpcTimeout);
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new Error(`--rpc-timeout must be a positive integer (ms), got "${flags.rpcTimeout}"`);
  }
  if (user !== undefined && password !== undefined) return { url, auth: { user, password }, timeoutMs };
  if (user !== undefined || (password !== undefined && !cookieFile)) throw new Error('give both --rpc-user and --rpc-password (or JM_RPC_PASSWORD), or --rpc-cookie-file');
  if (cookieFile) return { url, auth: { cookieFile }, timeoutMs };
  throw new Error('no RPC credentials: give --rpc-user and --rpc-password, or --rpc-cookie-file');
}
