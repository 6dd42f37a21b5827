/**
 * One definition per command-line option (flag, help text, value parser), so a flag means the
 * same thing in every jm-* command. A command lists the definitions it takes in a record keyed
 * by commander's attribute name, adds them with addOptions() and parses commander's values with
 * parseOptions(): every problem is one UsageError line naming the flag (exit 2).
 *
 * Variants for one command: `{ ...LOG_LEVEL, default: 'warn' }`, `required(WALLET)`.
 */
import { accessSync, constants } from 'node:fs';
import { Option, type Command } from 'commander';
import { z } from 'zod';
import { DIRECTORIES_ENV, LIST_FILE_NAME } from '../client/directory-list.js';
import { CLIENT_NICK_AUTH_MODES } from '../client/nick-auth.js';
import { NETWORKS } from '../protocol/handshake.js';
import { parseControlTarget, type ControlTarget } from '../transport/tor/control-target.js';
import { CLIENT_DATA_DIR_ENV } from '../util/data-dir.js';
import { UsageError } from './program.js';
import { LOG_LEVELS, hostPort, intIn } from './config/values.js';

export interface OptionDef<V extends z.ZodType = z.ZodType> {
  /** Commander syntax: '--rpc-url <url>', '--json', '--no-serve'. */
  readonly flags: string;
  readonly help: string;
  /** Parses a given value: commander's string (true for a bare flag), or the default. */
  readonly value: V;
  readonly default?: string | boolean;
  /** Absent → "--flag is required"; marked "(required)" in --help. */
  readonly required?: boolean;
  readonly hidden?: boolean;
}

export type OptionDefs = Readonly<Record<string, OptionDef>>;

/** Parsed values: present when required or defaulted, else possibly undefined. */
export type ParsedOptions<D extends OptionDefs> = {
  [K in keyof D]: D[K] extends { required: true } | { default: string | boolean } ? z.output<D[K]['value']> : z.output<D[K]['value']> | undefined;
};

export const required = <D extends OptionDef>(d: D): D & { required: true } => ({ ...d, required: true });

const longFlag = (d: OptionDef): string => /--[a-z0-9-]+/.exec(d.flags)![0];

export function addOptions(cmd: Command, defs: OptionDefs): Command {
  for (const [key, d] of Object.entries(defs)) {
    const o = new Option(d.flags, d.required ? `${d.help} (required)` : d.help);
    if (o.attributeName() !== key) throw new Error(`option ${d.flags} is keyed "${key}", commander calls it "${o.attributeName()}"`);
    if (d.default !== undefined) o.default(d.default);
    if (d.hidden) o.hideHelp();
    cmd.addOption(o);
  }
  return cmd;
}

/** Validates commander's option values (`cmd.opts()` or `optsWithGlobals()`) against the definitions. */
export function parseOptions<D extends OptionDefs>(defs: D, raw: Readonly<Record<string, unknown>>): ParsedOptions<D> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, d] of Object.entries(defs)) {
    // The default applies here too: an option a parent command defines carries no default of ours.
    const v = raw[key] ?? d.default;
    if (v === undefined) {
      if (d.required) problems.push(`${longFlag(d)} is required`);
      continue;
    }
    const r = d.value.safeParse(v);
    if (r.success) out[key] = r.data;
    else problems.push(`${longFlag(d)}: ${r.error.issues[0]?.message ?? 'invalid value'}`);
  }
  if (problems.length > 0) throw new UsageError(problems.join('; '));
  return out as ParsedOptions<D>;
}

// ---------------------------------------------------------------- value parsers

const text = z.string().trim().min(1, 'must not be empty');
const flag = z.boolean();

/** A file that must exist and be readable now (checked before any network work). */
export const readableFile = text.refine((p) => {
  try {
    accessSync(p, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}, 'no such file, or not readable');

const intRange = (min: number, max: number) => intIn(min, max);

const controlTarget = z.string().transform((s, ctx): ControlTarget => {
  try {
    return parseControlTarget(s.trim());
  } catch {
    ctx.addIssue({ code: 'custom', message: `expected HOST:PORT (e.g. 127.0.0.1:9051) or unix:PATH, got ${JSON.stringify(s)}` });
    return z.NEVER;
  }
});

/** An http(s) URL, as given; `credentials: false` refuses one with user:password@ in it. */
export function httpUrl(example: string, o: { credentials: boolean }): z.ZodType<string> {
  return z.string().trim().superRefine((s, ctx) => {
    let u: URL | null = null;
    try {
      u = new URL(s);
    } catch {
      // reported below
    }
    if (!u || !['http:', 'https:'].includes(u.protocol)) ctx.addIssue({ code: 'custom', message: `expected an http:// URL, e.g. ${example}` });
    else if (!o.credentials && (u.username !== '' || u.password !== '')) ctx.addIssue({ code: 'custom', message: 'a URL with user:password@ in it is not accepted' });
  });
}

// ---------------------------------------------------------------- the shared options

const networkName = z.string().trim().pipe(z.enum(NETWORKS, `expected one of ${NETWORKS.join(', ')}`));

export const NETWORK = { flags: '--network <name>', help: NETWORKS.join(' | '), value: networkName, required: true } as const satisfies OptionDef;
/**
 * --network as a global option of a command whose subcommands mostly need it: parsed as optional
 * (each subcommand that needs it parses it with NETWORK), marked in --help with the exceptions.
 */
export const networkRequiredExcept = (exceptions: string) =>
  ({ ...NETWORK, required: false, help: `${NETWORK.help} (required, ${exceptions})` }) as const satisfies OptionDef;

export const HRP = { flags: '--hrp <prefix>', help: 'bech32 address prefix override for test chains (e.g. rltc)', value: z.string().regex(/^[a-z0-9]{1,20}$/, 'expected a lowercase bech32 prefix') } satisfies OptionDef;
export const WALLET = { flags: '--wallet <file>', help: 'encrypted wallet file (jm-wallet generate writes one)', value: text } satisfies OptionDef;
export const PASSWORD_FILE = { flags: '--password-file <file>', help: 'wallet password from the first line of a file (else env JM_WALLET_PASSWORD, else a prompt)', value: readableFile } satisfies OptionDef;
export const JSON_OUTPUT = { flags: '--json', help: 'machine-readable output (JSON on stdout)', value: flag } satisfies OptionDef;
export const LOG_LEVEL = { flags: '--log-level <level>', help: LOG_LEVELS.join(' | '), value: z.string().trim().toLowerCase().pipe(z.enum(LOG_LEVELS, `expected one of ${LOG_LEVELS.join(', ')}`)), default: 'info' } as const satisfies OptionDef;

/** Bitcoin Core RPC: same flags, same meaning in jm-wallet, jm-maker, jm-taker and jm-orderbook. */
export const RPC_OPTIONS = {
  rpcUrl: { flags: '--rpc-url <url>', help: 'Bitcoin Core RPC URL (default http://127.0.0.1:<network RPC port>)', value: httpUrl('http://127.0.0.1:8332', { credentials: true }) },
  rpcUser: { flags: '--rpc-user <user>', help: 'RPC user name', value: text },
  rpcPassword: { flags: '--rpc-password <password>', help: 'RPC password (or env JM_RPC_PASSWORD)', value: z.string().min(1, 'must not be empty') },
  rpcCookieFile: { flags: '--rpc-cookie-file <file>', help: "RPC cookie file instead of user/password (e.g. ~/.bitcoin/.cookie)", value: readableFile },
  rpcTimeout: { flags: '--rpc-timeout <ms>', help: 'RPC timeout in milliseconds (default 30000)', value: intRange(1, 3_600_000) },
} as const satisfies OptionDefs;

/** Wallet discovery during a sync. */
export const SYNC_OPTIONS = {
  gap: { flags: '--gap <n>', help: 'gap limit for address discovery (default 20)', value: intRange(1, 1000) },
  lookahead: { flags: '--lookahead <n>', help: 'addresses per branch watched in Core (default 1000)', value: intRange(1, 1_000_000) },
} as const satisfies OptionDefs;

/** How a client (watcher, maker, taker) reaches the directory nodes; resolved by clientNetwork(). */
export const CLIENT_NETWORK_OPTIONS = {
  directory: { flags: '--directory <list>', help: `directory nodes HOST:PORT[,HOST:PORT...] (port 5222 if omitted; default: ${DIRECTORIES_ENV}, else <data-dir>/${LIST_FILE_NAME}, else the built-in list)`, value: text },
  transport: { flags: '--transport <tor|tcp>', help: 'reach directories through Tor (default) or directly (tcp; default on regtest)', value: z.string().trim().pipe(z.enum(['tcp', 'tor'], 'expected tcp or tor')) },
  socks: { flags: '--socks <host:port>', help: "Tor's SOCKS5 port", value: hostPort, default: '127.0.0.1:9050' },
  wireNetwork: { flags: '--wire-network <name>', help: 'network name in the directory handshake, if not --network (testnet meets reference peers on a regtest chain)', value: networkName },
  dataDir: { flags: '--data-dir <dir>', help: `holds ${LIST_FILE_NAME} (default ${CLIENT_DATA_DIR_ENV}, $STATE_DIRECTORY, or ~/.local/share/joinmarket-ts)`, value: text },
  nickAuth: {
    flags: '--nick-auth <mode>', help: 'prove our nick to directories that offer it (prefer), also refuse those that do not (require), or never (off)',
    value: z.string().trim().pipe(z.enum(CLIENT_NICK_AUTH_MODES, `expected ${CLIENT_NICK_AUTH_MODES.join(', ')}`)), default: 'prefer',
  },
} as const satisfies OptionDefs;

/** A tor control port, for a command that publishes its own onion service. */
export const TOR_CONTROL_OPTIONS = {
  torControl: { flags: '--tor-control <target>', help: 'tor control port HOST:PORT or unix:PATH', value: controlTarget, default: '127.0.0.1:9051' },
  torCookieFile: { flags: '--tor-cookie-file <file>', help: 'control cookie file (default: the one tor reports)', value: text },
  torPassword: { flags: '--tor-password <password>', help: 'control port password (default: cookie authentication)', value: z.string().min(1, 'must not be empty') },
} as const satisfies OptionDefs;

/** Where coins go; checked against --network before any password prompt or network work (runtime.outputScript). */
export const DESTINATION = { flags: '--destination <address>', help: 'where the coins go', value: text, required: true } as const satisfies OptionDef;
export const MIXDEPTH = { flags: '--mixdepth <n>', help: 'mixdepth', value: intRange(0, 99), required: true } as const satisfies OptionDef;

/** An HTTP listener (keep it on loopback). */
export const HTTP_LISTEN = { flags: '--http <host:port>', help: 'HTTP listen address (keep it on loopback)', value: hostPort } satisfies OptionDef;

// ---------------------------------------------------------------- money paths (jm-taker, jm-wallet)

const satPerVb = z.string().trim().regex(/^\d+(\.\d+)?$/, 'expected sat/vB, e.g. 2 or 1.5').transform(Number).refine((n) => n > 0, 'must be above 0');

export const FEE_RATE = { flags: '--fee-rate <sat/vB>', help: 'miner fee rate (default: the node estimate, fallback 20)', value: satPerVb } satisfies OptionDef;
/** REF's absurd_fee_per_kb (350,000 sat/kvB) as the default cap. */
export const MAX_FEE_RATE = { flags: '--max-fee-rate <sat/vB>', help: 'refuse a miner fee rate above this, given or estimated', value: satPerVb, default: '350' } as const satisfies OptionDef;
/** Answers yes to the command's confirmation; each command says in its help what that accepts. */
export const YES = { flags: '--yes', help: 'do not ask for confirmation (required when not on a terminal)', value: flag } satisfies OptionDef;
