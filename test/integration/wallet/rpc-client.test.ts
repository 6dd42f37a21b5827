// CoreRpc failure modes over real loopback sockets (blockchain-backend.md §2, §6): node down,
// timeout, bad credentials, cookie rotation, junk and schema-violating replies, missing wallet.
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcp, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CoreRpc } from '../../../src/wallet/backend/rpc.js';
import {
  RpcAuthError, RpcConnectionError, RpcError, RpcReplyError, RpcTimeoutError, RpcWalletError,
} from '../../../src/wallet/backend/rpc-errors.js';

const servers: { close(): void }[] = [];
const dir = mkdtempSync(join(tmpdir(), 'jm-rpc-'));
afterAll(() => {
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function http(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<string> {
  const s: Server = createHttp((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => { body += d.toString(); });
    req.on('end', () => handler(req, body, res));
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

const auth = { user: 'u', password: 'p' };
const reply = (res: ServerResponse, status: number, obj: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(typeof obj === 'string' ? obj : JSON.stringify(obj));
};

describe('CoreRpc errors', () => {
  it('node down -> RpcConnectionError with a hint', async () => {
    const s = createTcp();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    const rpc = new CoreRpc({ url: `http://127.0.0.1:${port}`, auth });
    await expect(rpc.getBlockCount()).rejects.toThrow(RpcConnectionError);
    await expect(rpc.getBlockCount()).rejects.toThrow(/ECONNREFUSED.*is the node running/);
  });

  it('silent node -> RpcTimeoutError after the configured time', async () => {
    const s = createTcp(() => { /* accept and never answer */ });
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const rpc = new CoreRpc({ url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, auth, timeoutMs: 200 });
    const t = Date.now();
    await expect(rpc.getBlockCount()).rejects.toThrow(RpcTimeoutError);
    expect(Date.now() - t).toBeLessThan(5000);
  });

  it('401 -> RpcAuthError; junk and wrong shapes -> RpcReplyError; -18 -> RpcWalletError', async () => {
    const url = await http((req, body, res) => {
      const m = (JSON.parse(body) as { method: string }).method;
      if (req.headers.authorization !== `Basic ${Buffer.from('u:p').toString('base64')}`) return reply(res, 401, '');
      if (m === 'getblockcount') return reply(res, 200, 'not json');
      if (m === 'getblockchaininfo') return reply(res, 200, { result: { chain: 5 }, error: null, id: 1 });
      if (m === 'getwalletinfo') return reply(res, 500, { result: null, error: { code: -18, message: 'Requested wallet does not exist or is not loaded' }, id: 1 });
      if (m === 'sendrawtransaction') return reply(res, 500, { result: null, error: { code: -26, message: 'non-final' }, id: 1 });
      return reply(res, 200, { result: 'a'.repeat(64), error: null, id: 1 });
    });
    await expect(new CoreRpc({ url, auth: { user: 'u', password: 'bad' } }).getBlockCount()).rejects.toThrow(RpcAuthError);
    const rpc = new CoreRpc({ url, auth, wallet: 'jm_x' });
    await expect(rpc.getBlockCount()).rejects.toThrow(RpcReplyError);
    await expect(rpc.getBlockchainInfo()).rejects.toThrow(/unexpected reply.*chain/);
    await expect(rpc.getWalletInfo()).rejects.toThrow(RpcWalletError);
    await expect(rpc.getWalletInfo()).rejects.toThrow(/Core wallet "jm_x" is missing or not loaded/);
    await expect(rpc.sendRawTransaction('00')).rejects.toMatchObject({ code: -26 });
    await expect(rpc.sendRawTransaction('00')).rejects.toThrow(RpcError);
    expect(await rpc.getBestBlockHash()).toBe('a'.repeat(64));
  });

  it('cookie auth re-reads the cookie after a 401 (node restarted)', async () => {
    let current = '__cookie__:one';
    const url = await http((req, _body, res) => {
      if (req.headers.authorization !== `Basic ${Buffer.from(current).toString('base64')}`) return reply(res, 401, '');
      reply(res, 200, { result: 42, error: null, id: 1 });
    });
    const cookieFile = join(dir, '.cookie');
    writeFileSync(cookieFile, current);
    const rpc = new CoreRpc({ url, auth: { cookieFile } });
    expect(await rpc.getBlockCount()).toBe(42);
    current = '__cookie__:two';
    writeFileSync(cookieFile, current);
    expect(await rpc.getBlockCount()).toBe(42);
    await expect(new CoreRpc({ url, auth: { cookieFile: join(dir, 'missing') } }).getBlockCount()).rejects.toThrow(/cannot read RPC cookie file/);
    writeFileSync(join(dir, 'bad'), 'nocolon');
    await expect(new CoreRpc({ url, auth: { cookieFile: join(dir, 'bad') } }).getBlockCount()).rejects.toThrow(/not "user:password"/);
  });

  it('rejects bad URLs up front', () => {
    expect(() => new CoreRpc({ url: 'nope', auth })).toThrow(/invalid RPC URL/);
    expect(() => new CoreRpc({ url: 'ftp://x', auth })).toThrow(/http/);
  });
});
