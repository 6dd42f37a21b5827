/** Shared setup for the orderbook end-to-end tests: real DNs on loopback, a pool, a watcher. */
import { DirectoryServer, type DirectoryLimitsInput } from '../../../src/directory/index.js';
import { DirectoryPool } from '../../../src/client/directory-pool.js';
import { NickIdentity } from '../../../src/client/identity.js';
import { OrderbookWatcher } from '../../../src/orderbook/watcher.js';
import type { BondChain } from '../../../src/orderbook/bonds.js';
import { bytesToHex, hexToBytes, publicKeyOf, sha256, utf8ToBytes } from '../../../src/protocol/crypto.js';
import { freezeScript, p2wshScriptPubKey } from '../../../src/wallet/bond-script.js';
import type { ScriptedBond } from '../../helpers/scripted-maker.js';

export const NETWORK = 'regtest';

export async function startDirectories(n: number, limits?: DirectoryLimitsInput): Promise<{ servers: DirectoryServer[]; addrs: Array<{ host: string; port: number }> }> {
  const servers: DirectoryServer[] = [];
  const addrs: Array<{ host: string; port: number }> = [];
  for (let i = 0; i < n; i++) {
    const s = new DirectoryServer({ network: NETWORK, mode: 'loopback', listen: { host: '127.0.0.1', port: 0 }, motd: `test DN ${i}`, ...(limits ? { limits } : {}) });
    const a = await s.start();
    servers.push(s);
    addrs.push({ host: '127.0.0.1', port: a.port });
  }
  return { servers, addrs };
}

export function startWatcher(addrs: Array<{ host: string; port: number }>, chain: BondChain | null = null): { pool: DirectoryPool; watcher: OrderbookWatcher } {
  const pool = new DirectoryPool({ directories: addrs, identity: NickIdentity.random(), network: NETWORK, backoff: { initialMs: 50, maxMs: 200 } });
  const watcher = new OrderbookWatcher({ pool, network: NETWORK, chain });
  watcher.start();
  pool.start();
  return { pool, watcher };
}

/** Resolves once `cond()` holds, re-checking on every book change; rejects after `ms`. */
export function waitFor(watcher: OrderbookWatcher, cond: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  if (cond()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${what}`));
    }, ms);
    const off = watcher.on('changed', () => {
      if (!cond()) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

export const TEST_BOND: ScriptedBond = {
  utxoPrivateKey: sha256(utf8ToBytes('utxo')),
  certPrivateKey: sha256(utf8ToBytes('cert')),
  certExpiry: 450,
  txid: 'aa'.repeat(32),
  vout: 0,
  locktime: 1767225600,
};

export const KEYS = {
  m1: hexToBytes('11'.repeat(32)),
  m2: hexToBytes('22'.repeat(32)),
  forger: hexToBytes('33'.repeat(32)),
  victim: hexToBytes('44'.repeat(32)),
};

/**
 * Test stand-in for Bitcoin Core (the wallet's BondChainView): every outpoint holds `amountSat`
 * paying to TEST_BOND's timelocked script, confirmed 10 blocks ago a year before the locktime.
 */
export function stubChain(amountSat: number, tip = { height: 1000, medianTimePast: 1_760_000_000 }): BondChain {
  const script = bytesToHex(p2wshScriptPubKey(freezeScript(publicKeyOf(TEST_BOND.utxoPrivateKey), TEST_BOND.locktime)));
  return {
    tip: async () => tip,
    getTxOut: async () => ({ confirmations: 10, valueSat: BigInt(amountSat), scriptPubKey: script }),
    blockTime: async () => TEST_BOND.locktime - 31_556_952,
  };
}
