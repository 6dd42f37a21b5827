/**
 * Handshakes (wire-protocol.md §2.2–2.4): the client's 793 JSON and the directory's 795 JSON,
 * both serialised in the reference's field order with Python spacing.
 */
import { z } from 'zod';
import { hasPythonFloat, pyJsonDumps, type PyJson } from './json-py.js';

export const APP_NAME = 'joinmarket';
export const PROTO_VER = 5;
export const NETWORKS = ['mainnet', 'testnet', 'signet', 'regtest'] as const;
export type Network = (typeof NETWORKS)[number];

export type Features = Record<string, boolean>;

const featureValue = z.union([z.boolean(), z.string().max(512), z.number()]);

/** The seven fields every reference/ng client sends. Extra keys are tolerated. */
export const ClientHandshakeSchema = z.object({
  'app-name': z.string().max(64),
  directory: z.boolean(),
  'location-string': z.string().max(128),
  'proto-ver': z.number().int(),
  features: z.record(z.string().max(64), featureValue).refine((f) => Object.keys(f).length <= 32, 'too many features'),
  nick: z.string().max(64),
  network: z.string().max(64),
});
export type ClientHandshake = z.infer<typeof ClientHandshakeSchema>;

export const DirectoryHandshakeSchema = z.object({
  'app-name': z.string(),
  directory: z.boolean(),
  'location-string': z.string().optional(),
  'proto-ver-min': z.number().int(),
  'proto-ver-max': z.number().int(),
  features: z.record(z.string(), z.unknown()),
  accepted: z.boolean(),
  nick: z.string(),
  network: z.string(),
  motd: z.string().optional(),
});
export type DirectoryHandshake = z.infer<typeof DirectoryHandshakeSchema>;

/** Only values that are literally `true` count (pitfall 30). */
export function enabledFeatures(f: Record<string, unknown>): string[] {
  return Object.keys(f).filter((k) => f[k] === true && /^[a-z0-9_]{1,64}$/.test(k)).sort();
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

function parseJsonObject(line: string): ParseResult<unknown> {
  try {
    return { ok: true, value: JSON.parse(line) };
  } catch {
    return { ok: false, reason: 'handshake is not JSON' };
  }
}

function zodReason(err: z.ZodError): string {
  const i = err.issues[0];
  return i ? `${i.path.join('.') || 'handshake'}: ${i.message}` : 'invalid handshake';
}

export function parseClientHandshake(line: string): ParseResult<ClientHandshake> {
  const j = parseJsonObject(line);
  if (!j.ok) return j;
  // The reference asserts isinstance(proto-ver, int): 5.0 is refused. We refuse every float.
  if (hasPythonFloat(line)) return { ok: false, reason: 'a number is not an integer' };
  const r = ClientHandshakeSchema.safeParse(j.value);
  return r.success ? { ok: true, value: r.data } : { ok: false, reason: zodReason(r.error) };
}

export function parseDirectoryHandshake(line: string): ParseResult<DirectoryHandshake> {
  const j = parseJsonObject(line);
  if (!j.ok) return j;
  const r = DirectoryHandshakeSchema.safeParse(j.value);
  return r.success ? { ok: true, value: r.data } : { ok: false, reason: zodReason(r.error) };
}

export interface ClientHandshakeInput {
  nick: string;
  location: string;
  network: string;
  features?: Features;
}

/** The client handshake line exactly as a reference client writes it (ng adds sorted features). */
export function buildClientHandshake(h: ClientHandshakeInput): string {
  const features: Record<string, PyJson> = {};
  for (const k of Object.keys(h.features ?? {}).sort()) features[k] = h.features![k]!;
  return pyJsonDumps({
    'app-name': APP_NAME,
    directory: false,
    'location-string': h.location,
    'proto-ver': PROTO_VER,
    features,
    nick: h.nick,
    network: h.network,
  });
}

export interface DirectoryHandshakeInput {
  nick: string;
  network: string;
  accepted: boolean;
  motd: string;
  features?: Features;
  /** Our own location (rs sends it; reference clients ignore it). */
  location?: string;
}

/** The directory's reply, in the reference's field order (location-string where rs puts it). */
export function buildDirectoryHandshake(h: DirectoryHandshakeInput): string {
  const features: Record<string, PyJson> = {};
  for (const k of Object.keys(h.features ?? {}).sort()) features[k] = h.features![k]!;
  const o: Record<string, PyJson> = { 'app-name': APP_NAME, directory: true };
  if (h.location !== undefined) o['location-string'] = h.location;
  Object.assign(o, {
    'proto-ver-min': PROTO_VER,
    'proto-ver-max': PROTO_VER,
    features,
    accepted: h.accepted,
    nick: h.nick,
    network: h.network,
    motd: h.motd,
  });
  return pyJsonDumps(o);
}
