/**
 * Small typed Bitcoin Core JSON-RPC client over fetch (blockchain-backend.md §2.1, §5, §6).
 * Every reply is validated with zod; amounts become satoshi bigints via decimal text.
 * Auth: user/password or cookie file (re-read on 401, the node rewrites it on restart).
 */
import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { btcToSats } from '../amount.js';
import {
  RpcAuthError, RpcConnectionError, RpcError, RpcReplyError, RpcTimeoutError, RpcWalletError,
  RPC_WALLET_NOT_FOUND, RPC_WALLET_NOT_SPECIFIED,
} from './rpc-errors.js';
import * as S from './rpc-schemas.js';

export type RpcAuth = { user: string; password: string } | { cookieFile: string };

export interface CoreRpcOptions {
  url: string;
  auth: RpcAuth;
  /** Core wallet used for wallet RPCs (/wallet/<name>). */
  wallet?: string;
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

const envelope = z.object({
  result: z.unknown(),
  error: z.object({ code: z.number(), message: z.string() }).nullable().optional(),
});

export class CoreRpc {
  private cookieHeader: string | null = null;
  private nextId = 1;
  readonly url: string;

  constructor(private readonly o: CoreRpcOptions) {
    let u: URL;
    try {
      u = new URL(o.url);
    } catch {
      throw new Error(`invalid RPC URL "${o.url}"`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`RPC URL must be http(s): ${o.url}`);
    this.url = o.url.replace(/\/+$/, '');
  }

  /** Same node and credentials, wallet RPCs against another Core wallet. */
  withWallet(wallet: string): CoreRpc {
    return new CoreRpc({ ...this.o, wallet });
  }

  get walletName(): string | undefined {
    return this.o.wallet;
  }

  async call<T>(method: string, params: unknown[], schema: z.ZodType<T>, opts: { timeoutMs?: number; wallet?: boolean } = {}): Promise<T> {
    const useWallet = opts.wallet ?? false;
    const url = useWallet && this.o.wallet ? `${this.url}/wallet/${encodeURIComponent(this.o.wallet)}` : this.url;
    const ms = opts.timeoutMs ?? this.o.timeoutMs ?? 30_000;
    const body = JSON.stringify({ jsonrpc: '1.0', id: this.nextId++, method, params });
    let res = await this.post(url, body, method, ms, false);
    if (res.status === 401 && 'cookieFile' in this.o.auth) res = await this.post(url, body, method, ms, true);
    if (res.status === 401 || res.status === 403) throw new RpcAuthError(this.url, res.status);
    const text = await res.text();
    let parsed: z.infer<typeof envelope>;
    try {
      parsed = envelope.parse(JSON.parse(text));
    } catch {
      throw new RpcReplyError(method, `HTTP ${res.status}, body ${JSON.stringify(text.slice(0, 200))}`);
    }
    if (parsed.error) {
      const { code, message } = parsed.error;
      if (code === RPC_WALLET_NOT_FOUND || code === RPC_WALLET_NOT_SPECIFIED) throw new RpcWalletError(method, code, useWallet ? this.o.wallet : undefined, message);
      throw new RpcError(method, code, message);
    }
    const r = schema.safeParse(parsed.result);
    if (!r.success) throw new RpcReplyError(method, r.error.issues.map((i) => `${i.path.join('.') || 'result'}: ${i.message}`).join('; '));
    return r.data;
  }

  private async post(url: string, body: string, method: string, ms: number, rereadCookie: boolean): Promise<Response> {
    const headers = {
      authorization: await this.authHeader(rereadCookie),
      'content-type': 'application/json',
      // an idle keep-alive socket delays the node's shutdown (regtest-node notes)
      connection: 'close',
    };
    try {
      return await (this.o.fetchImpl ?? fetch)(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(ms) });
    } catch (e) {
      if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) throw new RpcTimeoutError(method, ms);
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new RpcConnectionError(this.url, cause?.code ?? cause?.message ?? String(e));
    }
  }

  private async authHeader(reread: boolean): Promise<string> {
    const a = this.o.auth;
    if ('user' in a) return `Basic ${Buffer.from(`${a.user}:${a.password}`).toString('base64')}`;
    if (this.cookieHeader && !reread) return this.cookieHeader;
    let cookie: string;
    try {
      cookie = (await fs.readFile(a.cookieFile, 'utf8')).trim();
    } catch (e) {
      throw new Error(`cannot read RPC cookie file ${a.cookieFile}: ${(e as Error).message}`);
    }
    if (!/^[^:\s]+:\S+$/.test(cookie)) throw new Error(`RPC cookie file ${a.cookieFile} is not "user:password"`);
    this.cookieHeader = `Basic ${Buffer.from(cookie).toString('base64')}`;
    return this.cookieHeader;
  }

  // ---- node RPCs ----
  getBlockchainInfo() { return this.call('getblockchaininfo', [], S.blockchainInfo); }
  getBlockCount() { return this.call('getblockcount', [], S.height); }
  getBestBlockHash() { return this.call('getbestblockhash', [], S.hash); }
  getBlockHash(height: number) { return this.call('getblockhash', [height], S.hash); }
  getBlockHeader(hash: string) { return this.call('getblockheader', [hash, true], S.blockHeader); }
  async getTxOut(txid: string, vout: number, includeMempool = true): Promise<S.TxOut | null> {
    const r = await this.call('gettxout', [txid, vout, includeMempool], S.txOutRaw.nullable());
    return r && { confirmations: r.confirmations, valueSat: btcToSats(r.value), scriptPubKey: r.scriptPubKey.hex.toLowerCase(), coinbase: r.coinbase ?? false, bestblock: r.bestblock };
  }
  sendRawTransaction(hex: string) { return this.call('sendrawtransaction', [hex], S.hash); }
  async testMempoolAccept(hex: string): Promise<{ allowed: boolean; rejectReason?: string }> {
    const [r] = await this.call('testmempoolaccept', [[hex]], S.mempoolAccept);
    return r!.allowed ? { allowed: true } : { allowed: false, rejectReason: r!['reject-reason'] ?? 'unknown' };
  }
  estimateSmartFee(target: number) { return this.call('estimatesmartfee', [target], S.smartFee); }
  getMempoolInfo() { return this.call('getmempoolinfo', [], S.mempoolInfo); }
  getDescriptorInfo(desc: string) { return this.call('getdescriptorinfo', [desc], S.descriptorInfo); }
  stop() { return this.call('stop', [], z.string()); }
  /** BIP113 clock: the tip's median-time-past. */
  async medianTimePast(): Promise<number> { return (await this.getBlockchainInfo()).mediantime; }

  // ---- wallet management (node level) ----
  listWallets() { return this.call('listwallets', [], z.array(z.string())); }
  loadWallet(name: string) { return this.call('loadwallet', [name], S.walletLoad); }
  /** Watch-only: no private keys, blank. `descriptors` false creates a legacy wallet. */
  createWallet(name: string, descriptors: boolean) {
    return this.call('createwallet', descriptors ? [name, true, true, '', false, true] : [name, true, true], S.walletLoad);
  }

  // ---- wallet RPCs (need `wallet`) ----
  getWalletInfo() { return this.call('getwalletinfo', [], S.walletInfo, { wallet: true }); }
  importDescriptors(reqs: S.ImportDescriptorRequest[]) { return this.call('importdescriptors', [reqs], S.importResults, { wallet: true, timeoutMs: 1_800_000 }); }
  importMulti(reqs: S.ImportMultiRequest[], rescan: boolean) { return this.call('importmulti', [reqs, { rescan }], S.importResults, { wallet: true, timeoutMs: 1_800_000 }); }
  rescanBlockchain(startHeight: number) { return this.call('rescanblockchain', [startHeight], S.rescanResult, { wallet: true, timeoutMs: 24 * 3_600_000 }); }
  getAddressInfo(address: string) { return this.call('getaddressinfo', [address], S.addressInfo, { wallet: true }); }
  async listUnspent(minconf = 0, maxconf = 9_999_999): Promise<S.Unspent[]> {
    const rows = await this.call('listunspent', [minconf, maxconf], S.unspentRaw, { wallet: true });
    return rows.map((u) => ({ txid: u.txid.toLowerCase(), vout: u.vout, address: u.address ?? null, scriptPubKey: u.scriptPubKey.toLowerCase(), valueSat: btcToSats(u.amount), confirmations: u.confirmations }));
  }
  listReceivedByAddress(minconf = 0) {
    return this.call('listreceivedbyaddress', [minconf, false, true], S.receivedByAddress, { wallet: true });
  }
  lockUnspent(unlock: boolean, outpoints: { txid: string; vout: number }[]) {
    return this.call('lockunspent', [unlock, outpoints], z.boolean(), { wallet: true });
  }
}
