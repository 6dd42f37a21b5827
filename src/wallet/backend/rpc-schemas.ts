/** zod schemas of the Core RPC replies we use (blockchain-backend.md §2.1, §3). Unknown fields pass. */
import { z } from 'zod';

export const hash = z.string().regex(/^[0-9a-fA-F]{64}$/, '64 hex chars expected');
export const height = z.number().int().min(0);
const amount = z.number().finite();

export const blockchainInfo = z.object({
  chain: z.string(),
  blocks: height,
  bestblockhash: hash,
  mediantime: z.number().int(),
  initialblockdownload: z.boolean().optional(),
  verificationprogress: z.number().optional(),
});
export const blockHeader = z.object({ hash, height, time: z.number().int(), mediantime: z.number().int(), confirmations: z.number().int() });
export const txOutRaw = z.object({
  bestblock: hash,
  confirmations: z.number().int().min(0),
  value: amount,
  scriptPubKey: z.object({ hex: z.string().regex(/^[0-9a-fA-F]*$/) }),
  coinbase: z.boolean().optional(),
});
export interface TxOut { confirmations: number; valueSat: bigint; scriptPubKey: string; coinbase: boolean; bestblock: string }
export const mempoolAccept = z.array(z.object({ txid: hash, allowed: z.boolean(), 'reject-reason': z.string().optional() })).length(1);
export const smartFee = z.object({ feerate: amount.optional(), errors: z.array(z.string()).optional(), blocks: z.number().int().optional() });
export const mempoolInfo = z.object({ mempoolminfee: amount });
export const descriptorInfo = z.object({ descriptor: z.string(), checksum: z.string().length(8), isrange: z.boolean() });
export const walletLoad = z.object({ name: z.string(), warning: z.string().optional() });
export const walletInfo = z.object({
  walletname: z.string(),
  descriptors: z.boolean().optional(),
  private_keys_enabled: z.boolean().optional(),
  scanning: z.union([z.literal(false), z.object({ duration: z.number(), progress: z.number() })]).optional(),
});
export const importResults = z.array(z.object({
  success: z.boolean(),
  warnings: z.array(z.string()).optional(),
  error: z.object({ code: z.number().optional(), message: z.string() }).optional(),
}));
export const rescanResult = z.object({ start_height: height, stop_height: height.nullable().optional() });
export const addressInfo = z.object({ address: z.string(), ismine: z.boolean(), iswatchonly: z.boolean().optional(), solvable: z.boolean().optional() });
export const unspentRaw = z.array(z.object({
  txid: hash,
  vout: z.number().int().min(0),
  address: z.string().optional(),
  scriptPubKey: z.string().regex(/^[0-9a-fA-F]+$/),
  amount,
  confirmations: z.number().int(),
}));
export interface Unspent { txid: string; vout: number; address: string | null; scriptPubKey: string; valueSat: bigint; confirmations: number }
export const receivedByAddress = z.array(z.object({ address: z.string(), amount, confirmations: z.number().int() }));

export interface ImportDescriptorRequest {
  desc: string;
  timestamp: number | 'now';
  range?: [number, number];
  internal?: boolean;
  active?: boolean;
}
export interface ImportMultiRequest {
  desc: string;
  timestamp: number | 'now';
  range?: [number, number];
  watchonly: true;
}
