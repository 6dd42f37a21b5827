// jm-wallet configuration (docs/wallet.md "Configuration file"): validation, limits, RPC resolution.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadWalletConfig, resolveNetwork, resolveRpc } from '../../../src/wallet/config.js';

const dir = mkdtempSync(join(tmpdir(), 'jmw-cfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (text: string) => { const p = join(dir, `c${Math.random()}.json`); writeFileSync(p, text); return p; };

describe('wallet config', () => {
  it('accepts a full config and rejects unknown keys, bad types and out-of-range limits', () => {
    expect(loadWalletConfig(file('{"network":"regtest","rpc":{"url":"http://127.0.0.1:1","cookieFile":"/c"},"gap":1000,"lookahead":1}'))).toMatchObject({ gap: 1000 });
    expect(() => loadWalletConfig(file('{"gap":1001}'))).toThrow(/gap/);
    expect(() => loadWalletConfig(file('{"gap":0}'))).toThrow(/gap/);
    expect(() => loadWalletConfig(file('{"lookahead":1000001}'))).toThrow(/lookahead/);
    expect(() => loadWalletConfig(file('{"rpc":{"pass":"x"}}'))).toThrow(/rpc/);
    expect(() => loadWalletConfig(file('{"netwrk":"x"}'))).toThrow(/netwrk|Unrecognized/);
    expect(() => loadWalletConfig(file('not json'))).toThrow(/not JSON/);
    expect(() => loadWalletConfig(join(dir, 'missing.json'))).toThrow(/cannot read config.*ENOENT/);
  });
  it('network names and hrp override', () => {
    expect(resolveNetwork(undefined, undefined).hrp).toBe('bc');
    expect(resolveNetwork('regtest', 'rltc')).toMatchObject({ name: 'regtest', hrp: 'rltc', coinType: 1 });
    expect(() => resolveNetwork('litecoin', undefined)).toThrow(/unknown network "litecoin"/);
  });
  it('RPC: default ports, flags over config, credential errors', () => {
    const reg = resolveNetwork('regtest', undefined);
    expect(resolveRpc(reg, { rpcUser: 'u', rpcPassword: 'p' }, {})).toEqual({ url: 'http://127.0.0.1:18443', auth: { user: 'u', password: 'p' }, timeoutMs: 30000 });
    expect(resolveRpc(resolveNetwork('signet', undefined), {}, { rpc: { cookieFile: '/c', timeoutMs: 5 } })).toEqual({ url: 'http://127.0.0.1:38332', auth: { cookieFile: '/c' }, timeoutMs: 5 });
    expect(resolveRpc(reg, { rpcUrl: 'http://h:1', rpcCookieFile: '/x', rpcTimeout: '7' }, { rpc: { url: 'http://cfg:2' } })).toMatchObject({ url: 'http://h:1', timeoutMs: 7 });
    expect(() => resolveRpc(reg, {}, {})).toThrow(/no RPC credentials/);
    expect(() => resolveRpc(reg, { rpcUser: 'u' }, {})).toThrow(/both --rpc-user and --rpc-password/);
    expect(() => resolveRpc(reg, { rpcCookieFile: '/c', rpcTimeout: '0' }, {})).toThrow(/--rpc-timeout/);
  });
});
