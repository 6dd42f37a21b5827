/** Chain backend for the wallet (blockchain-backend.md): Core RPC, watch-only sync, bond checks. */
export { CoreRpc, type CoreRpcOptions, type RpcAuth } from './rpc.js';
export * from './rpc-errors.js';
export { WalletSync, type SyncOptions, type SyncResult, type ImportMode } from './sync.js';
export { BondVerifier, coreBondChain, type BondChainView, type BondVerification, type BondVerifyOptions } from './bond-verifier.js';
export { describeBonds, bestBond, type BondInfo } from './bonds.js';
