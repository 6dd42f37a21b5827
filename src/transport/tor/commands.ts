/** Typed wrappers for the control commands we use, and parsers for the events we consume. */
import type { TorControlClient, TorEvent } from './control-client.js';
import { TorControlProtocolError } from './errors.js';
import { parseReplyArgs } from './reply-args.js';

const KEYWORD_RE = /^[A-Za-z0-9_/.:-]+$/;

/** GETINFO: returns key → value (multi-line values joined with '\n'). */
export async function getInfo(client: TorControlClient, keys: string[]): Promise<Map<string, string>> {
  for (const k of keys) if (!KEYWORD_RE.test(k)) throw new TorControlProtocolError(`invalid GETINFO key ${JSON.stringify(k)}`);
  const reply = await client.command(`GETINFO ${keys.join(' ')}`);
  const out = new Map<string, string>();
  for (const line of reply.lines) {
    if (line.sep === ' ') continue;
    const eq = line.text.indexOf('=');
    if (eq < 0) continue;
    out.set(line.text.slice(0, eq), line.sep === '+' ? (line.data ?? '') : line.text.slice(eq + 1));
  }
  return out;
}

export async function setEvents(client: TorControlClient, events: string[]): Promise<void> {
  for (const e of events) if (!/^[A-Z_]+$/.test(e)) throw new TorControlProtocolError(`invalid event name ${JSON.stringify(e)}`);
  await client.command(`SETEVENTS ${events.join(' ')}`);
}

/** Makes tor exit when this control connection closes (for a tor we spawned ourselves). */
export async function takeOwnership(client: TorControlClient): Promise<void> {
  await client.command('TAKEOWNERSHIP');
}

export interface AddOnionOptions {
  /** 'ED25519-V3:<base64>' of a saved key, or undefined for a new key. */
  privateKey?: string;
  /** Virtual port → target "host:port". */
  ports: { virtualPort: number; target: string }[];
  /** e.g. ['Detach'], ['DiscardPK']. */
  flags?: string[];
  /** Adds PoWDefensesEnabled=1 (tor >= 0.4.9 with PoW support). */
  powDefenses?: boolean;
  /** Caps concurrent streams per rendezvous circuit (0 = unlimited). */
  maxStreams?: number;
}

export interface AddOnionResult {
  /** 56-char v3 address without ".onion". */
  serviceId: string;
  /** Present when tor generated a new key (and DiscardPK was not set). */
  privateKey: string | undefined;
}

const KEY_RE = /^ED25519-V3:[A-Za-z0-9+/]{86}==$/;
const TARGET_RE = /^(?:unix:[^\s,]+|[A-Za-z0-9.[\]:-]+:[0-9]{1,5})$/;

export async function addOnion(client: TorControlClient, opts: AddOnionOptions): Promise<AddOnionResult> {
  if (opts.privateKey !== undefined && !KEY_RE.test(opts.privateKey)) {
    throw new TorControlProtocolError('onion private key must be ED25519-V3:<86 base64 chars>==');
  }
  const parts = ['ADD_ONION', opts.privateKey ?? 'NEW:ED25519-V3'];
  const flags = opts.flags ?? [];
  for (const f of flags) if (!/^[A-Za-z]+$/.test(f)) throw new TorControlProtocolError(`invalid ADD_ONION flag ${f}`);
  if (flags.length > 0) parts.push(`Flags=${flags.join(',')}`);
  if (opts.maxStreams !== undefined) parts.push(`MaxStreams=${Math.trunc(opts.maxStreams)}`);
  if (opts.powDefenses) parts.push('PoWDefensesEnabled=1');
  if (opts.ports.length === 0) throw new TorControlProtocolError('ADD_ONION needs at least one port');
  for (const p of opts.ports) {
    if (!Number.isInteger(p.virtualPort) || p.virtualPort < 1 || p.virtualPort > 65535 || !TARGET_RE.test(p.target)) {
      throw new TorControlProtocolError(`invalid onion port mapping ${p.virtualPort} -> ${p.target}`);
    }
    parts.push(`Port=${p.virtualPort},${p.target}`);
  }
  const reply = await client.command(parts.join(' '));
  let serviceId: string | undefined;
  let privateKey: string | undefined;
  for (const line of reply.lines) {
    if (line.text.startsWith('ServiceID=')) serviceId = line.text.slice(10);
    else if (line.text.startsWith('PrivateKey=')) privateKey = line.text.slice(11);
  }
  if (!serviceId || !/^[a-z2-7]{56}$/.test(serviceId)) throw new TorControlProtocolError('ADD_ONION reply has no valid ServiceID');
  if (privateKey !== undefined && !KEY_RE.test(privateKey)) throw new TorControlProtocolError('ADD_ONION reply has a malformed PrivateKey');
  return { serviceId, privateKey };
}

export async function delOnion(client: TorControlClient, serviceId: string): Promise<void> {
  if (!/^[a-z2-7]{56}$/.test(serviceId)) throw new TorControlProtocolError('DEL_ONION needs a 56-char service id');
  await client.command(`DEL_ONION ${serviceId}`);
}

export interface HsDescEvent {
  action: string;
  address: string;
  /** "UNKNOWN" on a service's uploads; "NO_AUTH"/"BASIC_AUTH"/... on a client's fetches. */
  authType: string;
  hsDir: string;
  reason: string | undefined;
}

/** Parses "650 HS_DESC <Action> <HSAddress> <AuthType> <HsDir> ..."; undefined for other events. */
export function parseHsDescEvent(ev: TorEvent): HsDescEvent | undefined {
  if (ev.type !== 'HS_DESC') return undefined;
  try {
    const { positional, keywords } = parseReplyArgs(ev.text);
    const [action, address, authType, hsDir] = positional;
    if (!action || !address) return undefined;
    return { action, address, authType: authType ?? '', hsDir: hsDir ?? '', reason: keywords.get('REASON') };
  } catch {
    return undefined;
  }
}

export interface BootstrapStatus {
  progress: number;
  tag: string;
  summary: string;
  warning: string | undefined;
}

/** Parses "NOTICE BOOTSTRAP PROGRESS=.. TAG=.. SUMMARY=.." (STATUS_CLIENT event or status/bootstrap-phase). */
export function parseBootstrapStatus(text: string): BootstrapStatus | undefined {
  try {
    const { positional, keywords } = parseReplyArgs(text);
    if (positional[1] !== 'BOOTSTRAP') return undefined;
    const progress = Number(keywords.get('PROGRESS'));
    if (!Number.isInteger(progress) || progress < 0 || progress > 100) return undefined;
    return {
      progress,
      tag: keywords.get('TAG') ?? '',
      summary: keywords.get('SUMMARY') ?? '',
      warning: positional[0] === 'WARN' ? (keywords.get('WARNING') ?? keywords.get('REASON') ?? 'unknown') : undefined,
    };
  } catch {
    return undefined;
  }
}

/** Compares dotted tor versions ("0.4.9.11", "0.4.8.1-alpha"); negative if a < b. */
export function compareTorVersions(a: string, b: string): number {
  const nums = (v: string): number[] => (v.split(/[^0-9.]/, 1)[0] ?? '').split('.').map((x) => Number(x) || 0);
  const x = nums(a);
  const y = nums(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** ADD_ONION accepts PoWDefensesEnabled since tor 0.4.9.1-alpha. */
export function supportsAddOnionPow(torVersion: string): boolean {
  return compareTorVersions(torVersion, '0.4.9.1') >= 0;
}
