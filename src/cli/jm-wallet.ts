#!/usr/bin/env node
/**
 * jm-wallet: BIP84 JoinMarket wallet with fidelity bonds (docs/wallet.md; wallet-and-bonds.md,
 * blockchain-backend.md). Data goes to stdout (text, or JSON with --json); errors are one line
 * on stderr. Exit codes: 0 ok, 1 failure, 2 bad usage.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command, CommanderError, Option } from 'commander';
import { CoreRpc } from '../wallet/backend/rpc.js';
import { coreBondChain } from '../wallet/backend/bond-verifier.js';
import { describeBonds } from '../wallet/backend/bonds.js';
import { WalletSync } from '../wallet/backend/sync.js';

import { bondValue, bondValueInt, YEAR_SECONDS } from '../wallet/bond-value.js';
import { isBondSpendable } from '../wallet/bond-spend.js';
import { loadWalletConfig, resolveNetwork, resolveRpc, type RpcFlags, type WalletConfig } from '../wallet/config.js';
import { estimateFeeRate } from '../wallet/fees.js';
import { HdKeys, EXTERNAL, INTERNAL, type Chain } from '../wallet/hd.js';
import { mnemonicToSeed, parseMnemonic } from '../wallet/mnemonic.js';
import { toBitcoinjs, type NetworkParams } from '../wallet/network.js';
import { formatYearMonth, parseYearMonth, timenumberToLocktime } from '../wallet/timenumber.js';
import { parseOutpoint } from '../wallet/utxo.js';
import { Wallet } from '../wallet/wallet.js';
import { DEFAULT_KDF, type KdfParams } from '../wallet/wallet-file.js';
import { satsToBtc } from '../wallet/amount.js';
import { bytesToHex } from '../protocol/crypto.js';
import { address as bjsAddress, payments } from 'bitcoinjs-lib';

class UsageError extends Error {}

interface Globals extends RpcFlags {
  network?: string; hrp?: string; config?: string; walletFile?: string; passwordFile?: string; json?: boolean;
  gap?: string; lookahead?: string; rescan?: boolean; rescanFrom?: string; kdfLogN?: string;
}

const out = (s: string): void => { process.stdout.write(`${s}\n`); };
const json = (v: unknown): void => out(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x), 2));

function int(name: string, v: string | undefined, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(v);
  if (v === undefined || !/^-?\d+$/.test(v.trim()) || n < min || n > max) throw new UsageError(`${name} must be an integer in [${min}, ${max}], got "${v}"`);
  return n;
}

function num(name: string, v: string | undefined, min: number, max: number): number {
  const n = Number(v);
  if (v === undefined || v.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new UsageError(`${name} must be a number in [${min}, ${max}], got "${v}"`);
  return n;
}

function ctx(g: Globals): { cfg: WalletConfig; network: NetworkParams; walletFile: string } {
  const cfg = g.config ? loadWalletConfig(g.config) : {};
  const network = resolveNetwork(g.network ?? cfg.network, g.hrp ?? cfg.hrp);
  return { cfg, network, walletFile: g.walletFile ?? cfg.walletFile ?? 'wallet.jmw' };
}

async function prompt(question: string, hidden: boolean): Promise<string> {
  if (!process.stdin.isTTY) throw new UsageError('no password given: use --password-file, JM_WALLET_PASSWORD, or run on a terminal');
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const muted = rl as unknown as { _writeToOutput: (s: string) => void };
  process.stderr.write(question);
  if (hidden) muted._writeToOutput = () => {};
  try {
    return await new Promise<string>((resolve) => rl.question('', resolve));
  } finally {
    rl.close();
    if (hidden) process.stderr.write('\n');
  }
}

async function password(g: Globals, confirm = false): Promise<string> {
  if (g.passwordFile) {
    try {
      return readFileSync(g.passwordFile, 'utf8').split(/\r?\n/)[0] ?? '';
    } catch (e) {
      throw new UsageError(`cannot read --password-file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }
  const env = process.env['JM_WALLET_PASSWORD'];
  if (env !== undefined) return env;
  const p = await prompt('Wallet password: ', true);
  if (confirm && p !== (await prompt('Repeat password: ', true))) throw new UsageError('passwords do not match');
  return p;
}

/** scrypt settings for a new wallet file (an existing file keeps its own). */
function kdf(g: Globals): KdfParams {
  return g.kdfLogN === undefined ? DEFAULT_KDF : { N: 2 ** int('--kdf-log-n', g.kdfLogN, 10, 20), r: 8, p: 1 };
}

/** First line: words; optional second line: the mnemonic extension (used verbatim). */
function readMnemonicFile(path: string): { mnemonic: string; extension: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read --mnemonic-file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const [words = '', ext = ''] = text.split(/\r?\n/);
  return { mnemonic: parseMnemonic(words), extension: ext };
}

function rpcFor(g: Globals, c: ReturnType<typeof ctx>): CoreRpc {
  const r = resolveRpc(c.network, g, c.cfg);
  return new CoreRpc({ url: r.url, auth: r.auth, timeoutMs: r.timeoutMs });
}

/** Loads and syncs; `persist` saves indices the sync moved (read-only commands never write). */
async function openAndSync(g: Globals, o: { persist: boolean }): Promise<{ wallet: Wallet; rpc: CoreRpc; c: ReturnType<typeof ctx>; tip: number; mtp: number }> {
  const c = ctx(g);
  const pw = await password(g);
  const wallet = await Wallet.load(c.walletFile, pw, c.network);
  const rpc = rpcFor(g, c);
  const bar = (p: { stage: string; fraction: number }) => {
    if (!process.stderr.isTTY || g.json) return;
    const w = 30;
    const filled = Math.round(p.fraction * w);
    process.stderr.write(`\r${p.stage.padEnd(7)} [${'#'.repeat(filled)}${'.'.repeat(w - filled)}] ${(p.fraction * 100).toFixed(0).padStart(3)}%${p.fraction >= 1 ? '\n' : ''}`);
  };
  const r = await new WalletSync(wallet, rpc, {
    gap: g.gap ? int('--gap', g.gap, 1, 1000) : c.cfg.gap ?? 20,
    lookahead: g.lookahead ? int('--lookahead', g.lookahead, 1, 1_000_000) : c.cfg.lookahead ?? 1000,
    rescan: g.rescan ? 'always' : 'auto',
    rescanFrom: g.rescanFrom ? int('--rescan-from', g.rescanFrom) : 0,
    onProgress: bar,
  }).sync();
  if (o.persist) await wallet.save(c.walletFile);
  return { wallet, rpc, c, tip: r.tipHeight, mtp: r.medianTimePast };
}

// ---------------------------------------------------------------- commands

async function cmdGenerate(g: Globals, o: { words: string; mixdepths: string; extensionFile?: string; force?: boolean }, recover?: string): Promise<void> {
  const c = ctx(g);
  const words = int('--words', o.words, 12, 24);
  if (words !== 12 && words !== 24) throw new UsageError('--words must be 12 or 24');
  let mnemonic: string | undefined;
  let extension = process.env['JM_MNEMONIC_EXTENSION'] ?? '';
  if (o.extensionFile) extension = readFileSync(o.extensionFile, 'utf8').split(/\r?\n/)[0] ?? '';
  if (recover !== undefined) {
    const m = recover === '-' ? { mnemonic: parseMnemonic(await prompt('Mnemonic words: ', false)), extension } : readMnemonicFile(recover);
    mnemonic = m.mnemonic;
    extension = m.extension || extension;
  }
  const wallet = Wallet.create({ network: c.network, words, extension, mixdepths: int('--mixdepths', o.mixdepths, 1, 100), ...(mnemonic ? { mnemonic } : {}) });
  await wallet.setPassword(await password(g, true), kdf(g));
  await wallet.save(c.walletFile, { overwrite: o.force ?? false });
  const info = { walletFile: c.walletFile, network: c.network.name, mixdepths: wallet.mixdepthCount, firstAddress: wallet.getAddress(0, EXTERNAL, 0).address, extension: extension !== '' };
  if (g.json) return json(recover === undefined ? { ...info, mnemonic: wallet.mnemonic } : info);
  if (recover === undefined) out(`Write down these ${words} words; they are the only backup of this wallet:\n\n  ${wallet.mnemonic}\n`);
  if (/^\s|\s$/.test(extension)) out('Note: the mnemonic extension has leading/trailing spaces; they are significant.');
  out(`Wallet saved to ${info.walletFile} (${info.network}, ${info.mixdepths} mixdepths). First address: ${info.firstAddress}`);
}

async function cmdDisplay(g: Globals): Promise<void> {
  const { wallet, tip } = await openAndSync(g, { persist: false });
  const mds = Array.from({ length: wallet.mixdepthCount }, (_, md) => {
    const utxos = wallet.utxos(md);
    const branch = (chain: Chain) => {
      const next = wallet.nextIndex(md, chain);
      return {
        nextIndex: next,
        nextAddress: wallet.getAddress(md, chain, next).address,
        addresses: Array.from({ length: next }, (_, i) => {
          const a = wallet.getAddress(md, chain, i);
          return { index: i, address: a.address, balanceSat: utxos.filter((u) => u.address === a.address).reduce((s, u) => s + u.valueSat, 0n) };
        }),
      };
    };
    return { mixdepth: md, balanceSat: wallet.balances()[md]!, external: branch(EXTERNAL), internal: branch(INTERNAL), utxos: utxos.map((u) => ({ outpoint: `${u.txid}:${u.vout}`, valueSat: u.valueSat, confirmations: u.confirmations, path: u.path, frozen: wallet.isUnavailable(u) })) };
  });
  const bondsSat = wallet.bondUtxos().reduce((s, u) => s + u.valueSat, 0n);
  const total = wallet.balances().reduce((s, b) => s + b, 0n);
  if (g.json) return json({ network: wallet.network.name, tipHeight: tip, totalSat: total, bondsSat, mixdepths: mds });
  for (const m of mds) {
    out(`mixdepth ${m.mixdepth}  ${satsToBtc(m.balanceSat)} BTC`);
    for (const [name, b] of [['external', m.external], ['internal', m.internal]] as const) {
      for (const a of b.addresses) out(`  ${name} ${String(a.index).padStart(4)}  ${a.address}  ${satsToBtc(a.balanceSat)}`);
      out(`  ${name} next  ${b.nextAddress}`);
    }
  }
  out(`total ${satsToBtc(total)} BTC (plus ${satsToBtc(bondsSat)} BTC in fidelity bonds) at height ${tip}`);
}

async function cmdNewAddress(g: Globals, o: { mixdepth: string; internal?: boolean }): Promise<void> {
  const c = ctx(g);
  const wallet = await Wallet.load(c.walletFile, await password(g), c.network);
  const md = int('--mixdepth', o.mixdepth, 0, wallet.mixdepthCount - 1);
  const a = wallet.nextAddress(md, o.internal ? INTERNAL : EXTERNAL);
  await wallet.save(c.walletFile);
  if (g.json) return json({ address: a.address, path: a.path, mixdepth: md, index: a.index });
  out(a.address);
}

async function cmdBondAddress(g: Globals, ym: string, o: { force?: boolean }): Promise<void> {
  const c = ctx(g);
  const n = parseYearMonth(ym);
  const locktime = timenumberToLocktime(n);
  if (c.network.name === 'mainnet' && locktime <= Date.now() / 1000 && !o.force) {
    throw new UsageError(`${ym} is not in the future; a mainnet bond must lock until a future month (use --force to override)`);
  }
  const wallet = await Wallet.load(c.walletFile, await password(g), c.network);
  const b = wallet.bond(n);
  const r = { address: b.address, locktime, date: new Date(locktime * 1000).toISOString(), timenumber: n, path: `${b.path}:${locktime}`, witnessScript: bytesToHex(b.witnessScript) };
  if (g.json) return json(r);
  out(`${r.address}\nlocked until ${r.date} (locktime ${locktime}, timenumber ${n}, path ${r.path})`);
  out('Send to this address in one transaction without change; the coins cannot move before that date.');
}

async function cmdListBonds(g: Globals): Promise<void> {
  const { wallet, rpc, c } = await openAndSync(g, { persist: false });
  const r = await describeBonds(wallet.bondUtxos(), coreBondChain(rpc), { ...(c.cfg.interestRate ? { interestRate: c.cfg.interestRate } : {}), ...(c.cfg.exponent ? { exponent: c.cfg.exponent } : {}) });
  const rows = r.bonds.map((b) => ({
    outpoint: `${b.utxo.txid}:${b.utxo.vout}`, address: b.utxo.address, amountSat: b.utxo.valueSat, locktime: b.locktime,
    lockedUntil: new Date(b.locktime * 1000).toISOString(), confirmations: b.confirmations, confirmTime: b.confirmTime,
    value: b.value, expired: b.expired, secondsToExpiry: b.secondsToExpiry,
  }));
  if (g.json) return json({ medianTimePast: r.medianTimePast, tipHeight: r.tipHeight, bonds: rows });
  if (rows.length === 0) out('no fidelity bonds');
  for (const b of rows) {
    out(`${b.outpoint}  ${satsToBtc(BigInt(b.amountSat))} BTC  until ${b.lockedUntil}  conf ${b.confirmations}  value ${b.value.toExponential(6)}  ${b.expired ? 'EXPIRED (spendable)' : `expires in ${(b.secondsToExpiry / 86400).toFixed(1)} days`}`);
  }
}

async function cmdSpendBond(g: Globals, o: { outpoint: string; destination: string; feeRate?: string; dryRun?: boolean }): Promise<void> {
  const { wallet, rpc, mtp } = await openAndSync(g, { persist: true });
  const op = parseOutpoint(o.outpoint);
  const u = wallet.bondUtxos().find((b) => b.txid === op.txid && b.vout === op.vout);
  if (!u?.bond) throw new UsageError(`${o.outpoint} is not an unspent fidelity bond of this wallet`);
  if (!isBondSpendable(u.bond.locktime, mtp)) {
    throw new UsageError(`bond is locked until ${new Date(u.bond.locktime * 1000).toISOString()}; chain median-time-past is ${new Date(mtp * 1000).toISOString()}`);
  }
  let dest: Uint8Array;
  try {
    dest = bjsAddress.toOutputScript(o.destination, toBitcoinjs(wallet.network));
  } catch {
    throw new UsageError(`"${o.destination}" is not a valid ${wallet.network.name} address`);
  }
  const rate = o.feeRate ? num('--fee-rate', o.feeRate, 1, 10_000) : (await estimateFeeRate(rpc)).satPerVb;
  const { tx, feeSat } = wallet.createBondSpend(u, dest, rate);
  const txid = o.dryRun ? tx.getId() : await rpc.sendRawTransaction(tx.toHex());
  if (g.json) return json({ txid, hex: tx.toHex(), feeSat, broadcast: !o.dryRun });
  out(o.dryRun ? tx.toHex() : `broadcast ${txid} (fee ${feeSat} sat)`);
}

function cmdBondCalc(g: Globals, o: { amount: string; confirmTime?: string; locktime: string; now?: string; interest: string; exponent: string }): void {
  const now = o.now !== undefined ? int('--now', o.now) : Math.floor(Date.now() / 1000);
  const input = {
    amountSat: int('--amount', o.amount, 0, 21e14), confirmTime: o.confirmTime !== undefined ? int('--confirm-time', o.confirmTime) : now,
    locktime: int('--locktime', o.locktime), now, interestRate: num('--interest', o.interest, 0, 1), exponent: num('--exponent', o.exponent, 0.01, 10),
  };
  const value = bondValue(input);
  const r = { value, valueInt: bondValueInt(input), ...input, lockYears: (input.locktime - input.confirmTime) / YEAR_SECONDS, expired: input.locktime < now };
  if (g.json) return json(r);
  out(`bond value ${value} (REF display ${value / 1e16}) for ${satsToBtc(BigInt(input.amountSat))} BTC locked ${r.lockYears.toFixed(3)} years${r.expired ? ' (expired, decaying)' : ''}`);
}

function cmdDerive(g: Globals, o: { path?: string; timenumber?: string; mnemonicFile: string }): void {
  const c = ctx(g);
  if ((o.path === undefined) === (o.timenumber === undefined)) throw new UsageError('give exactly one of --path or --timenumber');
  const { mnemonic, extension } = readMnemonicFile(o.mnemonicFile);
  const hd = new HdKeys(mnemonicToSeed(mnemonic, extension), c.network);
  if (o.timenumber !== undefined) {
    const b = hd.bond(int('--timenumber', o.timenumber, 0, 959));
    const r = { address: b.address, locktime: b.locktime, month: formatYearMonth(b.timenumber), timenumber: b.timenumber, path: b.path, pubkey: bytesToHex(b.pubkey), witnessScript: bytesToHex(b.witnessScript), scriptPubKey: bytesToHex(b.scriptPubKey), network: c.network.name };
    if (g.json) return json(r);
    return out(`${r.address}  locktime ${r.locktime} (${r.month})  ${r.path}`);
  }
  const key = hd.derivePath(o.path!);
  const p = payments.p2wpkh({ pubkey: key.publicKey, network: toBitcoinjs(c.network) });
  const r = { address: p.address, path: o.path, pubkey: bytesToHex(key.publicKey), scriptPubKey: bytesToHex(p.output!), network: c.network.name };
  if (g.json) return json(r);
  out(`${r.address}  ${r.path}`);
}

// ---------------------------------------------------------------- wiring

function build(): Command {
  const program = new Command('jm-wallet')
    .description('JoinMarket BIP84 wallet with fidelity bonds (watch-only sync through Bitcoin Core)')
    .addOption(new Option('--network <net>', 'mainnet | testnet | signet | regtest').default(undefined))
    .option('--hrp <hrp>', 'override the bech32 prefix (e.g. rltc for a litecoind regtest node)')
    .option('--config <file>', 'JSON config file (see docs/wallet.md)')
    .option('--wallet-file <file>', 'encrypted wallet file (default wallet.jmw)')
    .option('--password-file <file>', 'read the wallet password from the first line of a file (else JM_WALLET_PASSWORD, else a prompt)')
    .option('--rpc-url <url>', 'Bitcoin Core RPC URL (default http://127.0.0.1:<network port>)')
    .option('--rpc-user <user>', 'RPC user')
    .option('--rpc-password <password>', 'RPC password (or env JM_RPC_PASSWORD)')
    .option('--rpc-cookie-file <file>', 'RPC cookie file instead of user/password')
    .option('--rpc-timeout <ms>', 'RPC timeout in milliseconds')
    .option('--gap <n>', 'gap limit for address discovery (default 20)')
    .option('--lookahead <n>', 'addresses per branch watched in Core (default 1000)')
    .option('--rescan', 'force a Core rescan during sync')
    .option('--rescan-from <height>', 'height a rescan starts at (default 0)')
    .addOption(new Option('--kdf-log-n <n>', 'scrypt cost log2(N) of a new wallet file (default 17)').hideHelp())
    .option('--json', 'machine-readable output')
    .showHelpAfterError()
    .exitOverride();
  const G = (cmd: Command) => cmd.optsWithGlobals<Globals>();
  const sub = (name: string, desc: string) => program.command(name).description(desc).option('--json', 'machine-readable output').exitOverride();

  sub('generate', 'create a new wallet file and show its mnemonic').option('--words <n>', '12 or 24', '24').option('--mixdepths <n>', 'number of mixdepths', '5')
    .option('--extension-file <file>', 'mnemonic extension (BIP39 passphrase) from a file; or env JM_MNEMONIC_EXTENSION').option('--force', 'overwrite an existing wallet file')
    .action(async (o, cmd: Command) => cmdGenerate(G(cmd), o));
  sub('recover', 'create a wallet file from existing mnemonic words').option('--mnemonic-file <file>', 'first line words, optional second line extension (default: prompt)')
    .option('--words <n>', '(ignored on recover)', '24').option('--mixdepths <n>', 'number of mixdepths', '5').option('--extension-file <file>', 'mnemonic extension from a file').option('--force', 'overwrite an existing wallet file')
    .action(async (o: { mnemonicFile?: string; words: string; mixdepths: string; extensionFile?: string; force?: boolean }, cmd: Command) => cmdGenerate(G(cmd), o, o.mnemonicFile ?? '-'));
  sub('display', 'sync with Core and show balances and addresses per mixdepth').action(async (_o, cmd: Command) => cmdDisplay(G(cmd)));
  sub('newaddress', 'hand out the next fresh address of a mixdepth').requiredOption('--mixdepth <n>', 'mixdepth').option('--internal', 'from the internal (change) chain')
    .action(async (o, cmd: Command) => cmdNewAddress(G(cmd), o));
  sub('bond-address', 'fidelity-bond address locked until the first day of YYYY-MM (UTC)').argument('<YYYY-MM>', 'month the bond unlocks').option('--force', 'allow a past month on mainnet')
    .action(async (ym: string, o, cmd: Command) => cmdBondAddress(G(cmd), ym, o));
  sub('list-bonds', 'sync and list fidelity bonds with value, locktime, confirmations, expiry').action(async (_o, cmd: Command) => cmdListBonds(G(cmd)));
  sub('spend-bond', 'spend an expired fidelity bond (after its locktime passes chain median-time-past)')
    .requiredOption('--outpoint <txid:vout>', 'the bond UTXO').requiredOption('--destination <address>', 'where the coins go')
    .option('--fee-rate <sat/vB>', 'fee rate (default: node estimate, fallback 20)').option('--dry-run', 'print the signed transaction without broadcasting')
    .action(async (o, cmd: Command) => cmdSpendBond(G(cmd), o));
  sub('bond-calc', 'value of a hypothetical bond (no wallet needed)').requiredOption('--amount <sats>', 'bond amount in satoshi')
    .option('--confirm-time <unix>', 'confirmation time (default: --now)').requiredOption('--locktime <unix>', 'bond locktime').option('--now <unix>', 'current time, e.g. chain MTP (default: clock)')
    .option('--interest <rate>', 'yearly interest rate', '0.015').option('--exponent <x>', 'bond value exponent', '1.3')
    .action((o, cmd: Command) => cmdBondCalc(G(cmd), o));
  sub('derive', 'derive an address from mnemonic words (no wallet file)').requiredOption('--mnemonic-file <file>', 'first line words, optional second line extension')
    .option('--path <path>', "BIP32 path, e.g. m/84'/0'/2'/1/7 (P2WPKH address)").option('--timenumber <n>', 'fidelity-bond timenumber 0..959 instead of --path')
    .action((o, cmd: Command) => cmdDerive(G(cmd), o));
  return program;
}

async function main(argv: string[]): Promise<number> {
  const program = build();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`jm-wallet: error: ${msg}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
}

process.exitCode = await main(process.argv);
