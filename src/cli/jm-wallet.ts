#!/usr/bin/env node
/**
 * jm-wallet: BIP84 JoinMarket wallet with fidelity bonds (docs/wallet.md; wallet-and-bonds.md,
 * blockchain-backend.md). Data goes to stdout (text, or JSON with --json); errors are one line
 * on stderr. Exit codes: 0 ok, 1 failure, 2 bad usage.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { CoreRpc } from '../wallet/backend/rpc.js';
import { coreBondChain } from '../wallet/backend/bond-verifier.js';
import { describeBonds } from '../wallet/backend/bonds.js';
import { WalletSync } from '../wallet/backend/sync.js';
import { bondValue, bondValueInt, YEAR_SECONDS } from '../wallet/bond-value.js';
import { isBondSpendable } from '../wallet/bond-spend.js';
import { loadWalletConfig, resolveNetwork, resolveRpc, type WalletConfig } from '../wallet/config.js';
import { estimateFeeRate } from '../wallet/fees.js';
import { HdKeys, EXTERNAL, INTERNAL, type Chain } from '../wallet/hd.js';
import { mnemonicToSeed, parseMnemonic } from '../wallet/mnemonic.js';
import { toBitcoinjs, type NetworkParams } from '../wallet/network.js';
import { formatYearMonth, parseYearMonth, timenumberToLocktime } from '../wallet/timenumber.js';
import { parseOutpoint, type WalletUtxo } from '../wallet/utxo.js';
import { Wallet } from '../wallet/wallet.js';
import { DEFAULT_KDF, type KdfParams } from '../wallet/wallet-file.js';
import { formatBondValue, formatBtc } from '../wallet/format.js';
import { bytesToHex } from '../protocol/crypto.js';
import { payments, type Transaction } from 'bitcoinjs-lib';
import { intIn } from './config/values.js';
import {
  DESTINATION, FEE_RATE, HRP, JSON_OUTPUT, MAX_FEE_RATE, MIXDEPTH, networkRequiredExcept, PASSWORD_FILE, RPC_OPTIONS, SYNC_OPTIONS, WALLET, YES, addOptions, parseOptions, readableFile, required,
  type OptionDefs, type ParsedOptions,
} from './options.js';
import { UsageError, cliProgram, runCli } from './program.js';
import { askYesNo, assertCanConfirm, promptLine, walletPassword } from './prompt.js';
import { loadWallet, outputScript, rpcFlags } from './runtime.js';

const decimal = (min: number, max: number) =>
  z.string().trim().regex(/^\d*\.?\d+$/, 'expected a number').transform(Number).refine((n) => n >= min && n <= max, `must be in [${min}, ${max}]`);

/** Options of every subcommand (given before or after its name). */
const GLOBAL = {
  // required by every command that touches keys or addresses; may come from --config instead
  network: networkRequiredExcept('or "network" in --config; bond-calc needs none'),
  hrp: HRP,
  config: { flags: '--config <file>', help: 'JSON config file (see docs/wallet.md)', value: readableFile },
  wallet: { ...WALLET, help: 'encrypted wallet file (default wallet.jmw, or "walletFile" in --config)' },
  passwordFile: PASSWORD_FILE,
  ...RPC_OPTIONS,
  ...SYNC_OPTIONS,
  rescan: { flags: '--rescan', help: 'force a Core rescan during sync', value: z.boolean() },
  rescanFrom: { flags: '--rescan-from <height>', help: 'height a rescan starts at (default 0)', value: intIn(0, 100_000_000) },
  kdfLogN: { flags: '--kdf-log-n <n>', help: 'scrypt cost log2(N) of a new wallet file (default 17)', value: intIn(10, 20), hidden: true },
  json: JSON_OUTPUT,
} as const satisfies OptionDefs;
type Globals = ParsedOptions<typeof GLOBAL>;

const out = (s: string): void => { process.stdout.write(`${s}\n`); };
const json = (v: unknown): void => out(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x), 2));

interface Ctx { cfg: WalletConfig; network: NetworkParams; walletFile: string }

/** Config file, network and wallet path; every command that needs a network calls this first. */
function ctx(g: Globals): Ctx {
  try {
    const cfg = g.config ? loadWalletConfig(g.config) : {};
    const name = g.network ?? cfg.network;
    if (name === undefined) throw new Error('--network is required (or "network" in --config)');
    return { cfg, network: resolveNetwork(name, g.hrp ?? cfg.hrp), walletFile: g.wallet ?? cfg.walletFile ?? 'wallet.jmw' };
  } catch (e) {
    throw e instanceof UsageError ? e : new UsageError((e as Error).message);
  }
}

/** ctx() for a command that opens an existing wallet: the file must be there before we ask for its password. */
function walletCtx(g: Globals): Ctx {
  const c = ctx(g);
  if (!existsSync(c.walletFile)) throw new UsageError(`no wallet file at ${c.walletFile} (create one with jm-wallet generate, or give --wallet)`);
  return c;
}

const password = (g: Globals): Promise<string> => walletPassword(g.passwordFile);

/** scrypt settings for a new wallet file (an existing file keeps its own). */
function kdf(g: Globals): KdfParams {
  return g.kdfLogN === undefined ? DEFAULT_KDF : { N: 2 ** g.kdfLogN, r: 8, p: 1 };
}

/** First line: words; optional second line: the mnemonic extension (used verbatim). */
function readMnemonicFile(path: string): { mnemonic: string; extension: string } {
  const [words = '', ext = ''] = readFileSync(path, 'utf8').split(/\r?\n/);
  try {
    return { mnemonic: parseMnemonic(words), extension: ext };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function rpcFor(g: Globals, c: Ctx): CoreRpc {
  try {
    const r = resolveRpc(c.network, rpcFlags(g), c.cfg);
    return new CoreRpc({ url: r.url, auth: r.auth, timeoutMs: r.timeoutMs });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/**
 * Offline checks (wallet file, RPC settings), then the password, load and sync; `persist` saves
 * indices the sync moved (read-only commands never write).
 */
async function openAndSync(g: Globals, o: { persist: boolean }, c = walletCtx(g)): Promise<{ wallet: Wallet; rpc: CoreRpc; c: Ctx; tip: number; mtp: number }> {
  const rpc = rpcFor(g, c);
  const wallet = await loadWallet(c.walletFile, await password(g), c.network);
  const bar = (p: { stage: string; fraction: number }) => {
    if (!process.stderr.isTTY || g.json) return;
    const w = 30;
    const filled = Math.round(p.fraction * w);
    process.stderr.write(`\r${p.stage.padEnd(7)} [${'#'.repeat(filled)}${'.'.repeat(w - filled)}] ${(p.fraction * 100).toFixed(0).padStart(3)}%${p.fraction >= 1 ? '\n' : ''}`);
  };
  const r = await new WalletSync(wallet, rpc, {
    gap: g.gap ?? c.cfg.gap ?? 20,
    lookahead: g.lookahead ?? c.cfg.lookahead ?? 1000,
    rescan: g.rescan ? 'always' : 'auto',
    rescanFrom: g.rescanFrom ?? 0,
    onProgress: bar,
  }).sync();
  if (o.persist) await wallet.save(c.walletFile);
  return { wallet, rpc, c, tip: r.tipHeight, mtp: r.medianTimePast };
}

// ---------------------------------------------------------------- commands

const MIXDEPTHS = { flags: '--mixdepths <n>', help: 'number of mixdepths', value: intIn(1, 100), default: '5' } as const;
const EXTENSION_FILE = { flags: '--extension-file <file>', help: 'mnemonic extension (BIP39 passphrase): first line of a file; or env JM_MNEMONIC_EXTENSION', value: readableFile };
const FORCE_OVERWRITE = { flags: '--force', help: 'overwrite an existing wallet file', value: z.boolean() };
const ALLOW_EMPTY_PASSWORD = { flags: '--allow-empty-password', help: 'accept an empty wallet password (the file then opens for anyone)', value: z.boolean() };
const GENERATE = {
  words: { flags: '--words <n>', help: '12 or 24', value: z.string().trim().pipe(z.enum(['12', '24'], 'expected 12 or 24')).transform((w) => (w === '12' ? 12 : 24)), default: '24' },
  mixdepths: MIXDEPTHS, extensionFile: EXTENSION_FILE, force: FORCE_OVERWRITE, allowEmptyPassword: ALLOW_EMPTY_PASSWORD,
} as const satisfies OptionDefs;
const RECOVER = {
  mnemonicFile: { flags: '--mnemonic-file <file>', help: 'first line words, optional second line extension (default: prompt)', value: readableFile },
  mixdepths: MIXDEPTHS, extensionFile: EXTENSION_FILE, force: FORCE_OVERWRITE, allowEmptyPassword: ALLOW_EMPTY_PASSWORD,
} as const satisfies OptionDefs;

/** generate and recover; a new wallet file's path is checked before any prompt. */
async function cmdGenerate(g: Globals, o: ParsedOptions<typeof GENERATE> | ParsedOptions<typeof RECOVER>, recover: boolean): Promise<void> {
  const c = ctx(g);
  if (!o.force && existsSync(c.walletFile)) throw new UsageError(`${c.walletFile} already exists; refusing to overwrite it (--force overwrites)`);
  if (!existsSync(dirname(c.walletFile) || '.')) throw new UsageError(`cannot create ${c.walletFile}: directory ${dirname(c.walletFile)} does not exist`);
  let mnemonic: string | undefined;
  let extension = process.env['JM_MNEMONIC_EXTENSION'] ?? '';
  if (o.extensionFile) extension = readFileSync(o.extensionFile, 'utf8').split(/\r?\n/)[0] ?? '';
  if (recover) {
    const file = 'mnemonicFile' in o ? o.mnemonicFile : undefined;
    const m = file === undefined
      ? { mnemonic: await promptLine('Mnemonic words: ', { hidden: false, noTerminal: 'no mnemonic given: use --mnemonic-file, or run on a terminal' }), extension: '' }
      : readMnemonicFile(file);
    try {
      mnemonic = parseMnemonic(m.mnemonic);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    extension = m.extension || extension;
  }
  const words = 'words' in o ? o.words : 24 as const;
  const wallet = Wallet.create({ network: c.network, words, extension, mixdepths: o.mixdepths, ...(mnemonic ? { mnemonic } : {}) });
  await wallet.setPassword(await walletPassword(g.passwordFile, { newWallet: true, allowEmpty: o.allowEmptyPassword ?? false }), kdf(g));
  await wallet.save(c.walletFile, { overwrite: o.force ?? false });
  const info = { walletFile: c.walletFile, network: c.network.name, mixdepths: wallet.mixdepthCount, firstAddress: wallet.getAddress(0, EXTERNAL, 0).address, extension: extension !== '' };
  if (g.json) return json(recover ? info : { ...info, mnemonic: wallet.mnemonic });
  if (!recover) out(`Write down these ${words} words; they are the only backup of this wallet:\n\n  ${wallet.mnemonic}\n`);
  if (/^\s|\s$/.test(extension)) out('Note: the mnemonic extension has leading/trailing spaces; they are significant.');
  out(`Wallet saved to ${info.walletFile} (${info.network}, ${info.mixdepths} mixdepths). First address: ${info.firstAddress}`);
}

/** One branch (external or internal) of a mixdepth: used addresses with balances, the next fresh one. */
function branchView(wallet: Wallet, md: number, chain: Chain, utxos: readonly WalletUtxo[]) {
  const next = wallet.nextIndex(md, chain);
  const addresses = Array.from({ length: next }, (_, i) => {
    const a = wallet.getAddress(md, chain, i);
    return { index: i, address: a.address, balanceSat: utxos.filter((u) => u.address === a.address).reduce((s, u) => s + u.valueSat, 0n) };
  });
  return { nextIndex: next, nextAddress: wallet.getAddress(md, chain, next).address, addresses };
}

function mixdepthView(wallet: Wallet, md: number) {
  const utxos = wallet.utxos(md);
  return {
    mixdepth: md, balanceSat: wallet.balances()[md]!, external: branchView(wallet, md, EXTERNAL, utxos), internal: branchView(wallet, md, INTERNAL, utxos),
    utxos: utxos.map((u) => ({ outpoint: `${u.txid}:${u.vout}`, valueSat: u.valueSat, confirmations: u.confirmations, path: u.path, frozen: wallet.isUnavailable(u) })),
  };
}

function printMixdepth(m: ReturnType<typeof mixdepthView>): void {
  out(`mixdepth ${m.mixdepth}  ${formatBtc(m.balanceSat)}`);
  for (const [name, b] of [['external', m.external], ['internal', m.internal]] as const) {
    for (const a of b.addresses) out(`  ${name} ${String(a.index).padStart(4)}  ${a.address}  ${formatBtc(a.balanceSat)}`);
    out(`  ${name} next  ${b.nextAddress}`);
  }
}

/** Read-only: syncs and shows, never writes the wallet file. */
async function cmdDisplay(g: Globals): Promise<void> {
  const { wallet, tip } = await openAndSync(g, { persist: false });
  const mds = Array.from({ length: wallet.mixdepthCount }, (_, md) => mixdepthView(wallet, md));
  const bondsSat = wallet.bondUtxos().reduce((s, u) => s + u.valueSat, 0n);
  const total = wallet.balances().reduce((s, b) => s + b, 0n);
  if (g.json) return json({ network: wallet.network.name, tipHeight: tip, totalSat: total, bondsSat, mixdepths: mds });
  mds.forEach(printMixdepth);
  out(`total ${formatBtc(total)} (plus ${formatBtc(bondsSat)} in fidelity bonds) at height ${tip}`);
}

const NEW_ADDRESS = {
  mixdepth: MIXDEPTH,
  internal: { flags: '--internal', help: 'from the internal (change) chain', value: z.boolean() },
} as const satisfies OptionDefs;

async function cmdNewAddress(g: Globals, o: ParsedOptions<typeof NEW_ADDRESS>): Promise<void> {
  const c = walletCtx(g);
  const wallet = await loadWallet(c.walletFile, await password(g), c.network);
  if (o.mixdepth >= wallet.mixdepthCount) throw new UsageError(`--mixdepth: must be at most ${wallet.mixdepthCount - 1} (this wallet has ${wallet.mixdepthCount} mixdepths)`);
  const a = wallet.nextAddress(o.mixdepth, o.internal ? INTERNAL : EXTERNAL);
  await wallet.save(c.walletFile);
  if (g.json) return json({ address: a.address, path: a.path, mixdepth: o.mixdepth, index: a.index });
  out(a.address);
}

const BOND_ADDRESS = { force: { flags: '--force', help: 'allow a past month on mainnet', value: z.boolean() } } as const satisfies OptionDefs;

async function cmdBondAddress(g: Globals, o: ParsedOptions<typeof BOND_ADDRESS>, [ym = '']: string[]): Promise<void> {
  const c = walletCtx(g);
  let n: number;
  try {
    n = parseYearMonth(ym);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const locktime = timenumberToLocktime(n);
  if (c.network.name === 'mainnet' && locktime <= Date.now() / 1000 && !o.force) {
    throw new UsageError(`${ym} is not in the future; a mainnet bond must lock until a future month (use --force to override)`);
  }
  const wallet = await loadWallet(c.walletFile, await password(g), c.network);
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
    out(`${b.outpoint}  ${formatBtc(b.amountSat)}  until ${b.lockedUntil}  conf ${b.confirmations}  value ${formatBondValue(b.value)}  ${b.expired ? 'EXPIRED (spendable)' : `expires in ${(b.secondsToExpiry / 86400).toFixed(1)} days`}`);
  }
}

const outpoint = z.string().trim().transform((s, ctx) => {
  try {
    return parseOutpoint(s);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});
/** Every command that spends: fee rate and its cap, dry run, confirmation. */
const SPEND_OPTIONS = {
  feeRate: FEE_RATE,
  maxFeeRate: MAX_FEE_RATE,
  dryRun: { flags: '--dry-run', help: 'show the signed transaction and its fee without broadcasting', value: z.boolean() },
  yes: { ...YES, help: 'broadcast without asking (required when not on a terminal, except with --dry-run)' },
} as const satisfies OptionDefs;

/** Offline checks of the spend options (before the wallet or the node). */
function checkSpendOptions(o: ParsedOptions<typeof SPEND_OPTIONS>): void {
  if (!o.dryRun) assertCanConfirm(o.yes, 'the transaction and its fee');
  if (o.feeRate !== undefined && o.feeRate > o.maxFeeRate) throw new UsageError(`--fee-rate ${o.feeRate} is above --max-fee-rate ${o.maxFeeRate} sat/vB`);
}

async function feeRate(rpc: CoreRpc, o: ParsedOptions<typeof SPEND_OPTIONS>): Promise<number> {
  return o.feeRate ?? (await estimateFeeRate(rpc, { maxSatPerVb: o.maxFeeRate })).satPerVb;
}

/** Dry run: the hex; else the summary, the confirmation, the broadcast. Returns the txid, or null when cancelled. */
async function broadcastConfirmed(rpc: CoreRpc, tx: Transaction, o: ParsedOptions<typeof SPEND_OPTIONS>, summary: string): Promise<string | null> {
  process.stderr.write(`${summary}\n`);
  if (o.dryRun) return tx.getId();
  if (!(await askYesNo(o.yes, 'Broadcast this transaction?'))) return null;
  return rpc.sendRawTransaction(tx.toHex());
}

const SPEND_BOND = {
  outpoint: required({ flags: '--outpoint <txid:vout>', help: 'the bond UTXO', value: outpoint }),
  destination: DESTINATION,
  ...SPEND_OPTIONS,
} as const satisfies OptionDefs;

async function cmdSpendBond(g: Globals, o: ParsedOptions<typeof SPEND_BOND>): Promise<void> {
  const c = walletCtx(g);
  const dest = outputScript('--destination', o.destination, c.network);
  checkSpendOptions(o);
  const { wallet, rpc, mtp } = await openAndSync(g, { persist: !o.dryRun }, c);
  const op = o.outpoint;
  const u = wallet.bondUtxos().find((b) => b.txid === op.txid && b.vout === op.vout);
  if (!u?.bond) throw new UsageError(`${op.txid}:${op.vout} is not an unspent fidelity bond of this wallet`);
  if (!isBondSpendable(u.bond.locktime, mtp)) {
    throw new UsageError(`bond is locked until ${new Date(u.bond.locktime * 1000).toISOString()}; chain median-time-past is ${new Date(mtp * 1000).toISOString()}`);
  }
  const rate = await feeRate(rpc, o);
  const { tx, feeSat } = wallet.createBondSpend(u, dest, rate);
  const txid = await broadcastConfirmed(rpc, tx, o, `spend bond ${op.txid}:${op.vout} (${formatBtc(u.valueSat)}) to ${o.destination}: fee ${formatBtc(feeSat)} at ${rate} sat/vB`);
  if (txid === null) throw new Error('cancelled: nothing was broadcast');
  if (g.json) return json({ txid, hex: tx.toHex(), feeSat, broadcast: !o.dryRun });
  out(o.dryRun ? tx.toHex() : `broadcast ${txid} (fee ${formatBtc(feeSat)})`);
}

const SEND = {
  mixdepth: { ...MIXDEPTH, help: 'mixdepth the coins come from' },
  destination: DESTINATION,
  amount: { flags: '--amount <sats>', help: 'satoshis to send (or --sweep)', value: intIn(1, 21e14) },
  sweep: { flags: '--sweep', help: 'send everything in the mixdepth (or every --utxo), no change', value: z.boolean() },
  utxo: { flags: '--utxo <txid:vout...>', help: 'coin control: spend only these coins of the mixdepth', value: z.array(outpoint) },
  ...SPEND_OPTIONS,
} as const satisfies OptionDefs;

/** An ordinary payment (or a sweep) from one mixdepth; change stays in it. */
async function cmdSend(g: Globals, o: ParsedOptions<typeof SEND>): Promise<void> {
  const c = walletCtx(g);
  outputScript('--destination', o.destination, c.network);
  if ((o.amount === undefined) === !o.sweep) throw new UsageError('give exactly one of --amount or --sweep');
  checkSpendOptions(o);
  const { wallet, rpc } = await openAndSync(g, { persist: false }, c);
  if (o.mixdepth >= wallet.mixdepthCount) throw new UsageError(`--mixdepth: must be at most ${wallet.mixdepthCount - 1}`);
  const rate = await feeRate(rpc, o);
  const { tx, selection: sel, change } = wallet.createSpend({
    mixdepth: o.mixdepth, destination: o.destination, satPerVb: rate, sweep: o.sweep ?? false,
    ...(o.amount !== undefined ? { amountSat: BigInt(o.amount) } : {}), ...(o.utxo ? { outpoints: o.utxo } : {}),
  });
  const amountSat = o.sweep ? sel.totalInSat - sel.feeSat : BigInt(o.amount!);
  const summary = [
    `send ${formatBtc(amountSat)} from mixdepth ${o.mixdepth} to ${o.destination}`,
    `  ${sel.inputs.length} input(s), ${formatBtc(sel.totalInSat)}; fee ${formatBtc(sel.feeSat)} at ${rate} sat/vB (${tx.virtualSize()} vB)`,
    change ? `  change ${formatBtc(sel.changeSat)} to ${change.address}` : '  no change',
  ].join('\n');
  const txid = await broadcastConfirmed(rpc, tx, o, summary);
  if (txid === null) throw new Error('cancelled: nothing was broadcast');
  if (!o.dryRun && change) await wallet.save(c.walletFile); // the change index was handed out
  const r = {
    txid, hex: tx.toHex(), amountSat, feeSat: sel.feeSat, changeSat: sel.changeSat, changeAddress: change?.address ?? null,
    inputs: sel.inputs.map((u) => `${u.txid}:${u.vout}`), broadcast: !o.dryRun,
  };
  if (g.json) return json(r);
  out(o.dryRun ? tx.toHex() : `broadcast ${txid} (${formatBtc(amountSat)}, fee ${formatBtc(sel.feeSat)})`);
}

const unixTime = intIn(0, 2 ** 40);
const BOND_CALC = {
  amount: required({ flags: '--amount <sats>', help: 'bond amount in satoshi', value: intIn(0, 21e14) }),
  confirmTime: { flags: '--confirm-time <unix>', help: 'confirmation time (default: --now)', value: unixTime },
  locktime: required({ flags: '--locktime <unix>', help: 'bond locktime', value: unixTime }),
  now: { flags: '--now <unix>', help: 'current time, e.g. chain MTP (default: clock)', value: unixTime },
  interest: { flags: '--interest <rate>', help: 'yearly interest rate', value: decimal(0, 1), default: '0.015' },
  exponent: { flags: '--exponent <x>', help: 'bond value exponent', value: decimal(0.01, 10), default: '1.3' },
} as const satisfies OptionDefs;

function cmdBondCalc(g: Globals, o: ParsedOptions<typeof BOND_CALC>): void {
  const now = o.now ?? Math.floor(Date.now() / 1000);
  const input = { amountSat: o.amount, confirmTime: o.confirmTime ?? now, locktime: o.locktime, now, interestRate: o.interest, exponent: o.exponent };
  const value = bondValue(input);
  const r = { value, valueInt: bondValueInt(input), ...input, lockYears: (input.locktime - input.confirmTime) / YEAR_SECONDS, expired: input.locktime < now };
  if (g.json) return json(r);
  out(`bond value ${formatBondValue(value)} for ${formatBtc(input.amountSat)} locked ${r.lockYears.toFixed(3)} years${r.expired ? ' (expired, decaying)' : ''}`);
}

const DERIVE = {
  mnemonicFile: required({ flags: '--mnemonic-file <file>', help: 'first line words, optional second line extension', value: readableFile }),
  path: { flags: '--path <path>', help: "BIP32 path, e.g. m/84'/0'/2'/1/7 (P2WPKH address)", value: z.string().trim().regex(/^m(\/\d+'?)*$/, "expected a BIP32 path like m/84'/0'/0'/0/0") },
  timenumber: { flags: '--timenumber <n>', help: 'fidelity-bond timenumber 0..959 instead of --path', value: intIn(0, 959) },
} as const satisfies OptionDefs;

function cmdDerive(g: Globals, o: ParsedOptions<typeof DERIVE>): void {
  const c = ctx(g);
  if ((o.path === undefined) === (o.timenumber === undefined)) throw new UsageError('give exactly one of --path or --timenumber');
  const { mnemonic, extension } = readMnemonicFile(o.mnemonicFile);
  const hd = new HdKeys(mnemonicToSeed(mnemonic, extension), c.network);
  if (o.timenumber !== undefined) {
    const b = hd.bond(o.timenumber);
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

type Run<D extends OptionDefs> = (g: Globals, o: ParsedOptions<D>, args: string[]) => Promise<void> | void;

function build(): Command {
  const program = addOptions(cliProgram('jm-wallet', 'JoinMarket BIP84 wallet with fidelity bonds (watch-only sync through Bitcoin Core)'), GLOBAL);
  const sub = <D extends OptionDefs>(name: string, desc: string, defs: D, run: Run<D>): Command =>
    addOptions(program.command(name).description(desc), defs).action(async (...a: unknown[]) => {
      const cmd = a[a.length - 1] as Command;
      await run(parseOptions(GLOBAL, cmd.optsWithGlobals()), parseOptions(defs, cmd.opts()), cmd.args);
    });
  sub('generate', 'create a new wallet file and show its mnemonic', GENERATE, (g, o) => cmdGenerate(g, o, false));
  sub('recover', 'create a wallet file from existing mnemonic words', RECOVER, (g, o) => cmdGenerate(g, o, true));
  sub('display', 'sync with Core and show balances and addresses per mixdepth', {}, (g) => cmdDisplay(g));
  sub('newaddress', 'hand out the next fresh address of a mixdepth', NEW_ADDRESS, cmdNewAddress);
  sub('bond-address', 'fidelity-bond address locked until the first day of YYYY-MM (UTC)', BOND_ADDRESS, cmdBondAddress).argument('<YYYY-MM>', 'month the bond unlocks');
  sub('list-bonds', 'sync and list fidelity bonds with value, locktime, confirmations, expiry', {}, (g) => cmdListBonds(g));
  sub('spend-bond', 'spend an expired fidelity bond (after its locktime passes chain median-time-past)', SPEND_BOND, cmdSpendBond);
  sub('send', 'send coins of one mixdepth to an address (or sweep it), after a confirmation', SEND, cmdSend);
  sub('bond-calc', 'value of a hypothetical bond (no wallet needed)', BOND_CALC, cmdBondCalc);
  sub('derive', 'derive an address from mnemonic words (no wallet file)', DERIVE, cmdDerive);
  return program;
}

process.exitCode = await runCli(build(), process.argv);
