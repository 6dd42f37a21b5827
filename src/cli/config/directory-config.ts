/**
 * jm-directory configuration from, in rising precedence: defaults, the reference's
 * joinmarket.cfg, JM_DIRECTORY_* environment variables and command-line flags. Every value is
 * validated; a bad one throws ConfigError naming the flag, variable or cfg key it came from.
 */
import { z } from 'zod';
import { NETWORKS, type Network } from '../../protocol/handshake.js';
import type { DirectoryLimitsInput } from '../../directory/limits.js';
import { NICK_AUTH_MODES, type NickAuthMode } from '../../directory/nick-auth.js';
import { isValidDirectoryId } from '../../protocol/nick-auth.js';
import { ConfigError } from './errors.js';
import { parseIni, type IniSections } from './ini.js';
import { bool, hostPort, intIn, logLevel, port, portRange, pythonLogLevel, seconds, LOG_LEVELS } from './values.js';
import type { LocationProofLimitsInput } from '../../directory/location-prover.js';
import type { PortRange } from '../../directory/proof-policy.js';

const PARSERS = {
  transport: z.string().trim().pipe(z.enum(['tcp', 'tor'], 'expected tcp or tor')),
  listen: hostPort,
  network: z.string().trim().pipe(z.enum(NETWORKS, `expected one of ${NETWORKS.join(', ')}`)),
  motd: z.string().max(512, 'at most 512 characters'),
  http: hostPort,
  logLevel,
  publicLocation: z.string().trim().min(1, 'must not be empty').max(128),
  hiddenServiceDir: z.string(),
  maxPeers: intIn(1),
  maxPending: intIn(1),
  handshakeTimeout: seconds,
  handshakePressureTimeout: seconds,
  sweepInterval: seconds.pipe(z.number().min(10, 'must be at least 0.01 s')),
  probeAfter: seconds,
  pongTimeout: seconds,
  evictAfter: seconds,
  evictSilentTakers: bool,
  ratePubmsg: intIn(0),
  rateOrderbook: intIn(0),
  rateGetpeerlist: intIn(0),
  ratePrivmsg: intIn(0),
  peerlistBytes: intIn(0),
  privmsgBytes: intIn(0),
  privmsgRecvBytes: intIn(0),
  privmsgRecvBurst: intIn(65_536),
  pubmsgBytes: intIn(0),
  writeHighWater: intIn(1024),
  writeSoftMark: intIn(0),
  slowReaderStall: seconds,
  broadcastRate: intIn(0),
  broadcastBytes: intIn(0),
  broadcastOrderbook: intIn(0),
  broadcastBurst: seconds.pipe(z.number().min(100, 'must be at least 0.1 s')),
  broadcastHalfLife: seconds.pipe(z.number().min(100, 'must be at least 0.1 s')),
  broadcastProvenWeight: intIn(1),
  broadcastNewcomer: intIn(0, 100),
  lineTimeout: seconds,
  inputBudget: intIn(65_536),
  outputBudget: intIn(65_536),
  departureCoalesce: intIn(0, 10_000),
  departureBytes: intIn(0),
  connectionLogLines: intIn(1),
  proveLocations: bool,
  proofSocks: hostPort,
  proofConcurrency: intIn(1),
  proofQueue: intIn(1),
  proofTimeoutLoopback: seconds.pipe(z.number().min(100, 'must be at least 0.1 s')),
  proofTimeoutOnion: seconds.pipe(z.number().min(1_000, 'must be at least 1 s')),
  proofRetryBase: seconds.pipe(z.number().min(10, 'must be at least 0.01 s')),
  proofRetryMax: seconds.pipe(z.number().min(10, 'must be at least 0.01 s')),
  proofAttempts: intIn(1),
  proofBudgetReset: seconds.pipe(z.number().min(1_000, 'must be at least 1 s')),
  proofMinInterval: seconds,
  proofCacheTtl: seconds,
  proofCacheMax: intIn(0),
  proofLoopbackPorts: portRange,
  nickAuth: z.string().trim().pipe(z.enum(NICK_AUTH_MODES, `expected ${NICK_AUTH_MODES.join(', ')}`)),
  nickAuthId: z.string().trim().refine(isValidDirectoryId, 'expected [a-z0-9][a-z0-9.:_-]* (e.g. <onion>.onion:5222)'),
  nickAuthTimeout: seconds.pipe(z.number().min(100, 'must be at least 0.1 s').max(30_000, 'at most 30 s (ng caps it there)')),
  nickAuthWorker: bool,
} as const;

export type OptionKey = keyof typeof PARSERS;

export interface OptionSpec {
  key: OptionKey;
  /** Commander flag, e.g. "--max-peers <n>". */
  flag: string;
  help: string;
}

export const DIRECTORY_OPTIONS: readonly OptionSpec[] = [
  { key: 'transport', flag: '--transport <kind>', help: 'tcp (loopback mode, accepts 127.0.0.1:port locations) or tor' },
  { key: 'listen', flag: '--listen <host:port>', help: 'listen address (port 0 = any free port); default 127.0.0.1:5222' },
  { key: 'network', flag: '--network <name>', help: 'mainnet | testnet | signet | regtest (required)' },
  { key: 'motd', flag: '--motd <text>', help: 'operator message appended to the MOTD banner' },
  { key: 'http', flag: '--http <host:port>', help: 'serve /health and /metrics here (keep it on loopback)' },
  { key: 'logLevel', flag: '--log-level <level>', help: LOG_LEVELS.join(' | ') + '; default info' },
  { key: 'publicLocation', flag: '--public-location <loc>', help: 'location to advertise (default 127.0.0.1:<port> in tcp mode)' },
  { key: 'hiddenServiceDir', flag: '--hidden-service-dir <dir>', help: 'onion service key directory (tor transport)' },
  { key: 'maxPeers', flag: '--max-peers <n>', help: 'handshaked peers before accepted:false; default 50000' },
  { key: 'maxPending', flag: '--max-pending <n>', help: 'connections awaiting a handshake; a newcomer beyond it closes the oldest; default 20000' },
  { key: 'handshakeTimeout', flag: '--handshake-timeout <s>', help: 'seconds to complete the handshake; default 30' },
  { key: 'handshakePressureTimeout', flag: '--handshake-pressure-timeout <s>', help: 'the handshake deadline while over half of --max-pending await one; default 10' },
  { key: 'sweepInterval', flag: '--sweep-interval <s>', help: 'seconds between heartbeat sweeps; default 5' },
  { key: 'probeAfter', flag: '--probe-after <s>', help: 'idle seconds before a liveness probe; default 600' },
  { key: 'pongTimeout', flag: '--pong-timeout <s>', help: 'seconds a probed peer has to answer; default 30' },
  { key: 'evictAfter', flag: '--evict-after <s>', help: 'idle seconds before eviction of probe-able peers; default 1500' },
  { key: 'evictSilentTakers', flag: '--evict-silent-takers [bool]', help: 'also evict idle non-serving peers without ping; default false' },
  { key: 'ratePubmsg', flag: '--rate-pubmsg <n>', help: 'pubmsgs per minute per peer (0 = unlimited); default 600' },
  { key: 'rateOrderbook', flag: '--rate-orderbook <n>', help: '!orderbook requests per minute per peer; default 6' },
  { key: 'rateGetpeerlist', flag: '--rate-getpeerlist <n>', help: 'GETPEERLIST per minute per peer; default 6' },
  { key: 'ratePrivmsg', flag: '--rate-privmsg <n>', help: 'privmsgs (and PINGs) per minute per peer; default 6000' },
  { key: 'pubmsgBytes', flag: '--pubmsg-bytes <n>', help: 'relayed pubmsg bytes per minute per peer (0 = unlimited); default 131072' },
  { key: 'privmsgBytes', flag: '--privmsg-bytes <n>', help: 'relayed privmsg bytes per minute per sender (0 = unlimited); default 2097152' },
  { key: 'privmsgRecvBytes', flag: '--privmsg-recv-bytes <n>', help: 'privmsg bytes per second one peer may be sent, all senders together; the heaviest senders are dropped first (0 = unlimited); default 65536' },
  { key: 'privmsgRecvBurst', flag: '--privmsg-recv-burst <bytes>', help: 'privmsg bytes one peer may be sent at once (e.g. every maker answering its !orderbook); default 1048576' },
  { key: 'peerlistBytes', flag: '--peerlist-bytes <n>', help: 'GETPEERLIST reply bytes per minute per peer (0 = unlimited); default 131072' },
  { key: 'writeHighWater', flag: '--write-high-water <bytes>', help: 'unsent bytes (checked whenever output is added) before a slow reader is cut off; default 1048576' },
  { key: 'writeSoftMark', flag: '--write-soft-mark <bytes>', help: 'unsent output above which a peer is skipped by pubmsg broadcasts instead of cut (0 = off); default 524288' },
  { key: 'slowReaderStall', flag: '--slow-reader-stall <s>', help: 'a peer over the soft mark that takes no output for this long is cut (0 = never); default 30' },
  { key: 'broadcastRate', flag: '--broadcast-rate <n>', help: 'relayed pubmsgs per second, all senders together (0 = unlimited); default 20' },
  { key: 'broadcastBytes', flag: '--broadcast-bytes <n>', help: 'relayed pubmsg bytes per second, all senders together (0 = unlimited); default 16384' },
  { key: 'broadcastOrderbook', flag: '--broadcast-orderbook <n>', help: 'relayed !orderbook requests per second, all senders together (0 = unlimited); default 2' },
  { key: 'broadcastBurst', flag: '--broadcast-burst <s>', help: 'seconds of each broadcast allowance that may go out at once; default 10' },
  { key: 'broadcastHalfLife', flag: '--broadcast-half-life <s>', help: 'half-life of a sender\'s remembered demand (heaviest senders are shed first); default 60' },
  { key: 'broadcastProvenWeight', flag: '--broadcast-proven-weight <n>', help: 'a proven serving location makes a sender\'s demand count this many times lighter (1 = no priority); default 4' },
  { key: 'broadcastNewcomer', flag: '--broadcast-newcomer <percent>', help: 'a new connection counts as having asked for this share of each broadcast bucket and of every peer\'s privmsg byte bucket (decaying with the half-life), so fresh nicks cannot take the last of them (0 = no reserve); default 25' },
  { key: 'lineTimeout', flag: '--line-timeout <s>', help: 'seconds to finish a started line, before and after the handshake (0 = none); default 60' },
  { key: 'inputBudget', flag: '--input-budget <bytes>', help: 'bytes of unfinished lines held for all peers; above it the oldest are cut; default 67108864' },
  { key: 'outputBudget', flag: '--output-budget <bytes>', help: 'unsent output held for all peers; above it the largest queues are cut; default 67108864' },
  { key: 'connectionLogLines', flag: '--connection-log-lines <n>', help: 'connect, disconnect and handshake log lines written in full per kind and minute; the rest are summarised; default 1000' },
  { key: 'departureCoalesce', flag: '--departure-coalesce <ms>', help: 'window for batching ;D notices; default 50' },
  { key: 'departureBytes', flag: '--departure-bytes <n>', help: ';D departure notice bytes per second, all departures together (every byte goes to every peer); proven or offering nicks first, the rest dropped beyond it (0 = unlimited); default 8192' },
  { key: 'proveLocations', flag: '--prove-locations [bool]', help: 'list a serving location only once a probe found the peer\'s nick there; default true' },
  { key: 'proofSocks', flag: '--proof-socks <host:port>', help: 'SOCKS proxy for probing onion locations; default the SOCKS port of the tor we publish through, else 127.0.0.1:9050' },
  { key: 'proofConcurrency', flag: '--proof-concurrency <n>', help: 'location probes running at once; default 16' },
  { key: 'proofQueue', flag: '--proof-queue <n>', help: 'locations waiting for a probe; a further claim waits (no attempt spent), older claimants first; default 5000' },
  { key: 'proofTimeoutLoopback', flag: '--proof-timeout-loopback <s>', help: 'seconds for one probe of a 127.0.0.1 location (dial + signed answer); default 10' },
  { key: 'proofTimeoutOnion', flag: '--proof-timeout-onion <s>', help: 'seconds for one probe of an onion location (dial through Tor + signed answer); default 90' },
  { key: 'proofRetryBase', flag: '--proof-retry-base <s>', help: 'backoff after the first failed probe of a location, doubled after each; default 30' },
  { key: 'proofRetryMax', flag: '--proof-retry-max <s>', help: 'longest backoff, and the interval between probes of a location whose attempts are spent; default 1800' },
  { key: 'proofAttempts', flag: '--proof-attempts <n>', help: 'failed probes per location (whoever claims it) before it is probed only once per --proof-retry-max; default 6' },
  { key: 'proofBudgetReset', flag: '--proof-budget-reset <s>', help: 'seconds without a failure after which a location gets its attempts back; default 21600' },
  { key: 'proofMinInterval', flag: '--proof-min-interval <s>', help: 'never probe one location more often than this; default 30' },
  { key: 'proofCacheTtl', flag: '--proof-cache-ttl <s>', help: 'a proven location stays proven for its nick this long (reconnects are not dialled); default 3600' },
  { key: 'proofCacheMax', flag: '--proof-cache-max <n>', help: 'proven locations cached, and locations whose spent budget is remembered; default 100000' },
  { key: 'proofLoopbackPorts', flag: '--proof-loopback-ports <lo-hi>', help: 'tcp (test) mode only: ports a claimed 127.0.0.1 location may name; our own ports never; default 1024-65535' },
  { key: 'nickAuth', flag: '--nick-auth <mode>', help: 'nick authentication: prefer (authenticate who asks) | require (refuse who does not) | off; default prefer' },
  { key: 'nickAuthId', flag: '--nick-auth-id <id>', help: 'directory id signed by clients; default our public location (<onion>:5222, or the tcp listen address)' },
  { key: 'nickAuthTimeout', flag: '--nick-auth-timeout <s>', help: 'seconds a client has to send its proof; default 30 (the maximum)' },
  { key: 'nickAuthWorker', flag: '--nick-auth-worker [bool]', help: 'verify nick-auth signatures on a worker thread, so reconnect bursts do not hold up the main thread; default true' },
];

/** JM_DIRECTORY_MAX_PEERS for maxPeers, and so on. */
export function envName(key: OptionKey): string {
  return 'JM_DIRECTORY_' + key.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase();
}

export function flagName(spec: OptionSpec): string {
  return spec.flag.split(' ')[0]!;
}

export interface RawValue {
  value: string;
  /** Where it came from, for error messages: "--max-peers", "JM_DIRECTORY_MAX_PEERS", a cfg key. */
  origin: string;
}
export type RawValues = Partial<Record<OptionKey, RawValue>>;

export function fromEnv(env: Readonly<Record<string, string | undefined>>): RawValues {
  const out: RawValues = {};
  for (const s of DIRECTORY_OPTIONS) {
    const name = envName(s.key);
    const v = env[name];
    if (v !== undefined && v !== '') out[s.key] = { value: v, origin: name };
  }
  return out;
}

/** Commander's parsed options (strings; `true` for a bare boolean flag). */
export function fromCli(opts: Readonly<Record<string, unknown>>): RawValues {
  const out: RawValues = {};
  for (const s of DIRECTORY_OPTIONS) {
    const v = opts[s.key];
    if (v === undefined) continue;
    out[s.key] = { value: v === true ? 'true' : String(v), origin: flagName(s) };
  }
  return out;
}

function onionSection(ini: IniSections): [string, Map<string, string>] | null {
  const named = ini.get('MESSAGING:onion');
  if (named) return ['MESSAGING:onion', named];
  for (const [name, sec] of ini) if (name.startsWith('MESSAGING:') && sec.get('type') === 'onion') return [name, sec];
  return null;
}

/** The keys of the reference's joinmarket.cfg that a directory operator already has. */
export function fromJoinmarketCfg(text: string, label = 'joinmarket.cfg'): RawValues {
  const ini = parseIni(text, label);
  const out: RawValues = {};
  const net = ini.get('BLOCKCHAIN')?.get('network');
  if (net !== undefined) out.network = { value: net, origin: `${label} [BLOCKCHAIN] network` };
  const lvl = ini.get('LOGGING')?.get('console_log_level');
  if (lvl !== undefined) {
    const origin = `${label} [LOGGING] console_log_level`;
    out.logLevel = { value: check(pythonLogLevel, { value: lvl, origin }), origin };
  }
  const found = onionSection(ini);
  if (!found) return out;
  const [name, sec] = found;
  const key = (k: string): string => `${label} [${name}] ${k}`;
  const host = sec.get('onion_serving_host');
  const p = sec.get('onion_serving_port');
  if (host !== undefined || p !== undefined) {
    if (host !== undefined && !/^[^\s:]+$/.test(host)) throw new ConfigError(key('onion_serving_host'), `expected a host name or IPv4 address, got ${JSON.stringify(host)}`);
    const portNum = p === undefined ? 8080 : check(port, { value: p, origin: key('onion_serving_port') });
    out.listen = { value: `${host || '127.0.0.1'}:${portNum}`, origin: key(p !== undefined ? 'onion_serving_port' : 'onion_serving_host') };
  }
  const hsDir = sec.get('hidden_service_dir');
  if (hsDir !== undefined && hsDir !== '') out.hiddenServiceDir = { value: hsDir, origin: key('hidden_service_dir') };
  const rc = sec.get('regtest_count');
  if (rc !== undefined) {
    const m = /^\s*([0-9]+)\s*,\s*([0-9]+)\s*$/.exec(rc);
    if (!m) throw new ConfigError(key('regtest_count'), `expected two integers "a,b", got ${JSON.stringify(rc)}`);
    // Reference testing mode (spec §8): plain TCP on loopback instead of Tor.
    if (m[1] !== '0' || m[2] !== '0') out.transport = { value: 'tcp', origin: key('regtest_count') };
  }
  return out;
}

function check<S extends z.ZodType>(schema: S, raw: RawValue): z.output<S> {
  const r = schema.safeParse(raw.value);
  if (r.success) return r.data as z.output<S>;
  throw new ConfigError(raw.origin, r.error.issues[0]?.message ?? 'invalid value');
}

export interface DirectoryConfig {
  transport: 'tcp' | 'tor';
  listen: { host: string; port: number };
  /** --listen (or its env/cfg equivalent) was given; tor mode otherwise picks its own default. */
  listenExplicit: boolean;
  network: Network;
  motd: string;
  http: { host: string; port: number } | null;
  logLevel: (typeof LOG_LEVELS)[number];
  publicLocation: string | null;
  hiddenServiceDir: string | null;
  limits: DirectoryLimitsInput;
  nickAuth: { mode: NickAuthMode; directoryId?: string; timeoutMs?: number };
  locationProofs: { enabled: boolean; socks?: { host: string; port: number }; limits: LocationProofLimitsInput; loopbackPorts?: PortRange };
}

type Getter = <K extends OptionKey>(k: K) => z.output<(typeof PARSERS)[K]> | undefined;

function proofLimits(get: Getter): LocationProofLimitsInput {
  const pairs: Array<[keyof LocationProofLimitsInput, number | undefined]> = [
    ['maxConcurrent', get('proofConcurrency')],
    ['maxQueued', get('proofQueue')],
    ['timeoutLoopbackMs', get('proofTimeoutLoopback')],
    ['timeoutOnionMs', get('proofTimeoutOnion')],
    ['retryBaseMs', get('proofRetryBase')],
    ['retryMaxMs', get('proofRetryMax')],
    ['maxAttempts', get('proofAttempts')],
    ['budgetResetMs', get('proofBudgetReset')],
    ['minIntervalMs', get('proofMinInterval')],
    ['cacheTtlMs', get('proofCacheTtl')],
    ['cacheMax', get('proofCacheMax')],
  ];
  return Object.fromEntries(pairs.filter(([, v]) => v !== undefined));
}

/** Later layers win: resolveDirectoryConfig(cfg, env, cli). */
export function resolveDirectoryConfig(...layers: RawValues[]): DirectoryConfig {
  const raw: RawValues = Object.assign({}, ...layers);
  const get: Getter = <K extends OptionKey>(k: K): z.output<(typeof PARSERS)[K]> | undefined => {
    const r = raw[k];
    return r === undefined ? undefined : (check(PARSERS[k], r) as z.output<(typeof PARSERS)[K]>);
  };
  const network = get('network');
  if (network === undefined) throw ConfigError.missing('--network', `or ${envName('network')}, or [BLOCKCHAIN] network in --config`);
  const limits: DirectoryLimitsInput = {};
  const set = <K extends keyof DirectoryLimitsInput>(k: K, v: DirectoryLimitsInput[K] | undefined): void => {
    if (v !== undefined) limits[k] = v;
  };
  set('maxPeers', get('maxPeers'));
  set('maxPending', get('maxPending'));
  set('handshakeTimeoutMs', get('handshakeTimeout'));
  set('handshakePressureTimeoutMs', get('handshakePressureTimeout'));
  set('sweepIntervalMs', get('sweepInterval'));
  set('probeAfterMs', get('probeAfter'));
  set('pongTimeoutMs', get('pongTimeout'));
  set('evictAfterMs', get('evictAfter'));
  set('evictSilentTakers', get('evictSilentTakers'));
  set('ratePubmsgPerMin', get('ratePubmsg'));
  set('rateOrderbookPerMin', get('rateOrderbook'));
  set('rateGetpeerlistPerMin', get('rateGetpeerlist'));
  set('ratePrivmsgPerMin', get('ratePrivmsg'));
  set('peerlistBytesPerMin', get('peerlistBytes'));
  set('privmsgBytesPerMin', get('privmsgBytes'));
  set('privmsgRecvBytesPerSec', get('privmsgRecvBytes'));
  set('privmsgRecvBurstBytes', get('privmsgRecvBurst'));
  set('pubmsgBytesPerMin', get('pubmsgBytes'));
  set('writeHighWaterBytes', get('writeHighWater'));
  set('writeSoftMarkBytes', get('writeSoftMark'));
  set('slowReaderStallMs', get('slowReaderStall'));
  set('broadcastPerSec', get('broadcastRate'));
  set('broadcastBytesPerSec', get('broadcastBytes'));
  set('broadcastOrderbookPerSec', get('broadcastOrderbook'));
  set('broadcastBurstMs', get('broadcastBurst'));
  set('broadcastHalfLifeMs', get('broadcastHalfLife'));
  set('broadcastProvenWeight', get('broadcastProvenWeight'));
  set('broadcastNewcomerPercent', get('broadcastNewcomer'));
  set('lineTimeoutMs', get('lineTimeout'));
  set('inputBudgetBytes', get('inputBudget'));
  set('outputBudgetBytes', get('outputBudget'));
  set('departureCoalesceMs', get('departureCoalesce'));
  set('departureBytesPerSec', get('departureBytes'));
  set('connectionLogLinesPerMin', get('connectionLogLines'));
  return {
    transport: get('transport') ?? 'tor',
    listen: get('listen') ?? { host: '127.0.0.1', port: 5222 },
    listenExplicit: raw.listen !== undefined,
    network,
    motd: get('motd') ?? '',
    http: get('http') ?? null,
    logLevel: get('logLevel') ?? 'info',
    publicLocation: get('publicLocation') ?? null,
    hiddenServiceDir: get('hiddenServiceDir') ?? null,
    limits,
    locationProofs: {
      enabled: get('proveLocations') ?? true,
      ...(get('proofSocks') !== undefined ? { socks: get('proofSocks')! } : {}),
      limits: proofLimits(get),
      ...(get('proofLoopbackPorts') !== undefined ? { loopbackPorts: get('proofLoopbackPorts')! } : {}),
    },
    nickAuth: {
      mode: get('nickAuth') ?? 'prefer',
      ...(get('nickAuthId') !== undefined ? { directoryId: get('nickAuthId')! } : {}),
      ...(get('nickAuthTimeout') !== undefined ? { timeoutMs: get('nickAuthTimeout')! } : {}),
      ...(get('nickAuthWorker') !== undefined ? { verifyWorker: get('nickAuthWorker')! } : {}),
    },
  };
}
