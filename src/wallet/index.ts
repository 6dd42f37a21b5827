/** Public surface of the wallet package (wallet-and-bonds.md, blockchain-backend.md). */
export { Wallet, walletDataSchema, type WalletData, type CreateWalletOptions, type Prevout, type ScriptOwner } from './wallet.js';
export * from './network.js';
export * from './mnemonic.js';
export * from './hd.js';
export * from './timenumber.js';
export * from './bond-script.js';
export * from './bond-value.js';
export { BondProver, type OwnBond } from './bond-prover.js';
export * from './coin-select.js';
export * from './sign.js';
export * from './bond-spend.js';
export * from './fees.js';
export * from './amount.js';
export * from './utxo.js';
export { descriptorChecksum, withChecksum } from './descriptor.js';
export { encryptWallet, decryptWallet, WalletFileError, WrongPasswordError, DEFAULT_KDF, type KdfParams } from './wallet-file.js';
export * from './backend/index.js';
