/**
 * The Tor options of jm-directory (--tor-control, --managed-tor, ...), kept apart from
 * DIRECTORY_OPTIONS because they only mean something with --transport tor. Same layering and
 * error style: JM_DIRECTORY_* variables, flags, one ConfigError naming the key.
 */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { defaultDataDir as dataDirFor } from '../../util/data-dir.js';
import { parseControlTarget, type ControlTarget } from '../../transport/tor/control-target.js';
import type { ControlAuth } from '../../transport/tor/auth.js';
import type { DirectoryConfig, RawValue } from './directory-config.js';
import { ConfigError } from './errors.js';
import { bool, seconds } from './values.js';

const nonEmpty = z.string().trim().min(1, 'must not be empty');

const PARSERS = {
  torControl: nonEmpty.transform((s, ctx) => {
    try {
      return parseControlTarget(s);
    } catch {
      ctx.addIssue({ code: 'custom', message: `expected HOST:PORT (e.g. 127.0.0.1:9051) or unix:PATH, got ${JSON.stringify(s)}` });
      return z.NEVER;
    }
  }),
  torPassword: z.string().min(1, 'must not be empty'),
  torCookieFile: nonEmpty,
  onionKeyFile: nonEmpty,
  dataDir: nonEmpty,
  managedTor: bool,
  torBinary: nonEmpty,
  torTorrcInclude: nonEmpty,
  torBootstrapTimeout: seconds.pipe(z.number().min(1000, 'must be at least 1 s')),
} as const;

export type TorOptionKey = keyof typeof PARSERS;

export const TOR_OPTIONS: readonly { key: TorOptionKey; flag: string; help: string }[] = [
  { key: 'torControl', flag: '--tor-control <target>', help: 'tor control port HOST:PORT or unix:PATH; default: try 127.0.0.1:9051, else --managed-tor' },
  { key: 'torPassword', flag: '--tor-password <password>', help: 'control port password (default: auth auto-detected, cookie preferred)' },
  { key: 'torCookieFile', flag: '--tor-cookie-file <file>', help: 'control cookie file (default: the one tor reports)' },
  { key: 'onionKeyFile', flag: '--onion-key-file <file>', help: 'onion key (JSON, 0600) keeping the address stable; default <data-dir>/onion-key.json' },
  { key: 'dataDir', flag: '--data-dir <dir>', help: 'state directory; default $STATE_DIRECTORY or ~/.local/share/jm-directory' },
  { key: 'managedTor', flag: '--managed-tor [bool]', help: 'start our own tor (state in <data-dir>/managed-tor)' },
  { key: 'torBinary', flag: '--tor-binary <path>', help: 'tor executable for --managed-tor; default tor from PATH' },
  { key: 'torTorrcInclude', flag: '--tor-torrc-include <file>', help: 'torrc fragment %included by the managed tor (bridges, test networks)' },
  { key: 'torBootstrapTimeout', flag: '--tor-bootstrap-timeout <s>', help: 'managed tor: fail when bootstrap makes no progress this long; default 120' },
];

export type TorRawValues = Partial<Record<TorOptionKey, RawValue>>;

export function torEnvName(key: TorOptionKey): string {
  return 'JM_DIRECTORY_' + key.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase();
}

const flagOf = (key: TorOptionKey): string => TOR_OPTIONS.find((o) => o.key === key)!.flag.split(' ')[0]!;

export function torFromEnv(env: Readonly<Record<string, string | undefined>>): TorRawValues {
  const out: TorRawValues = {};
  for (const s of TOR_OPTIONS) {
    const v = env[torEnvName(s.key)];
    if (v !== undefined && v !== '') out[s.key] = { value: v, origin: torEnvName(s.key) };
  }
  return out;
}

export function torFromCli(opts: Readonly<Record<string, unknown>>): TorRawValues {
  const out: TorRawValues = {};
  for (const s of TOR_OPTIONS) {
    const v = opts[s.key];
    if (v !== undefined) out[s.key] = { value: v === true ? 'true' : String(v), origin: flagOf(s.key) };
  }
  return out;
}

export const DEFAULT_CONTROL: ControlTarget = { kind: 'tcp', host: '127.0.0.1', port: 9051 };

export interface TorConfig {
  /** 'auto': try DEFAULT_CONTROL, fall back to managed tor when tor is installed. */
  mode: 'control' | 'hidden-service-dir' | 'managed' | 'auto';
  listen: { host: string; port: number };
  control: ControlTarget;
  auth: ControlAuth;
  hiddenServiceDir: string | null;
  dataDir: string;
  keyFile: string;
  torBinary: string | null;
  torrcInclude: string | null;
  stallTimeoutMs: number | null;
}

/** systemd's $STATE_DIRECTORY (first entry), else $XDG_DATA_HOME or ~/.local/share, + /jm-directory. */
export function defaultDataDir(env: Readonly<Record<string, string | undefined>>, home = os.homedir()): string {
  return dataDirFor(env, 'jm-directory', home);
}

/** Resolves the Tor options for a --transport tor directory (later layers win). */
export function resolveTorConfig(
  base: DirectoryConfig,
  env: Readonly<Record<string, string | undefined>>,
  ...layers: TorRawValues[]
): TorConfig {
  const raw: TorRawValues = Object.assign({}, ...layers);
  const get = <K extends TorOptionKey>(k: K): z.output<(typeof PARSERS)[K]> | undefined => {
    const r = raw[k];
    if (r === undefined) return undefined;
    const p = PARSERS[k].safeParse(r.value);
    if (!p.success) throw new ConfigError(r.origin, p.error.issues[0]?.message ?? 'invalid value');
    return p.data as z.output<(typeof PARSERS)[K]>;
  };
  const origin = (k: TorOptionKey): string => raw[k]?.origin ?? flagOf(k);
  const only = (keys: TorOptionKey[], where: string): void => {
    for (const k of keys) if (raw[k] !== undefined) throw new ConfigError(origin(k), `only with ${where}`);
  };
  if (base.transport !== 'tor') {
    only(['torControl', 'torPassword', 'torCookieFile', 'onionKeyFile', 'managedTor', 'torBinary', 'torTorrcInclude', 'torBootstrapTimeout'], '--transport tor');
  }
  if (base.transport === 'tor' && base.publicLocation !== null) {
    throw new ConfigError('--public-location', 'not used with --transport tor: the DN advertises its own <onion>:5222');
  }
  const control = get('torControl');
  const managed = get('managedTor') === true;
  const hsDir = base.hiddenServiceDir;
  const chosen = [control !== undefined && origin('torControl'), managed && origin('managedTor'), hsDir !== null && '--hidden-service-dir'].filter(
    (x): x is string => typeof x === 'string',
  );
  if (chosen.length > 1) throw new ConfigError(chosen[1]!, `conflicts with ${chosen[0]}: give one of --tor-control, --hidden-service-dir, --managed-tor`);
  const mode: TorConfig['mode'] = hsDir !== null ? 'hidden-service-dir' : managed ? 'managed' : control !== undefined ? 'control' : 'auto';
  if (mode === 'hidden-service-dir') only(['torPassword', 'torCookieFile', 'onionKeyFile', 'torBinary', 'torTorrcInclude', 'torBootstrapTimeout'], '--tor-control or --managed-tor (tor holds the key in --hidden-service-dir)');
  if (mode === 'managed') only(['torPassword', 'torCookieFile'], '--tor-control (a managed tor uses its own cookie)');
  if (mode === 'control') only(['torBinary', 'torTorrcInclude', 'torBootstrapTimeout'], '--managed-tor');

  const dataDir = path.resolve(get('dataDir') ?? defaultDataDir(env));
  const password = get('torPassword');
  const cookieFile = get('torCookieFile');
  // HiddenServiceDir: tor forwards to a fixed port (torrc.example uses 5222); otherwise any free port.
  const listen = base.listenExplicit ? base.listen : { host: '127.0.0.1', port: mode === 'hidden-service-dir' ? 5222 : 0 };
  if (mode === 'hidden-service-dir' && listen.port === 0) {
    throw new ConfigError('--listen', 'with --hidden-service-dir give the port of HiddenServicePort in the torrc, not 0');
  }
  return {
    mode,
    listen,
    control: control ?? DEFAULT_CONTROL,
    auth: { ...(password !== undefined ? { password } : {}), ...(cookieFile !== undefined ? { cookieFile: path.resolve(cookieFile) } : {}) },
    hiddenServiceDir: hsDir === null ? null : path.resolve(hsDir),
    dataDir,
    keyFile: path.resolve(get('onionKeyFile') ?? path.join(dataDir, 'onion-key.json')),
    torBinary: get('torBinary') ?? null,
    torrcInclude: (() => {
      const f = get('torTorrcInclude');
      return f === undefined ? null : path.resolve(f);
    })(),
    stallTimeoutMs: get('torBootstrapTimeout') ?? null,
  };
}
