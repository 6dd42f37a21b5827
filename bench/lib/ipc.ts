/**
 * Messages between the benchmark runner (bench/run.ts) and its load-generator processes
 * (bench/loadgen.ts). Both directions are parsed with zod.
 */
import { z } from 'zod';

const histogramJson = z.object({
  counts: z.array(z.number()),
  count: z.number(),
  sum: z.number(),
  min: z.number().nullable(),
  max: z.number().nullable(),
});

export const CommandSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('genIdentities'), from: z.number().int(), to: z.number().int() }),
  z.object({
    op: z.literal('init'),
    proc: z.number().int().min(0),
    port: z.number().int().min(1).max(65535),
    network: z.string(),
    handshakeTimeoutMs: z.number().int().min(1),
    /** Global peer indices of the identities this process owns, with their nick and pubkey. */
    gidx: z.array(z.number().int()),
    nicks: z.array(z.string()),
    pubs: z.array(z.string()),
  }),
  z.object({ op: z.literal('setPort'), port: z.number().int().min(1).max(65535) }),
  z.object({ op: z.literal('connect'), count: z.number().int().min(0), ratePerSec: z.number().min(0), burst: z.boolean(), nickAuth: z.boolean().default(false) }),
  z.object({
    op: z.literal('traffic'),
    kind: z.enum(['pub', 'priv']),
    senders: z.number().int().min(0),
    senderOffset: z.number().int().min(0),
    ratePerSec: z.number().min(0),
    probeEvery: z.number().int().min(1),
    windowMsgs: z.number().int().min(1),
    probeTimeoutMs: z.number().int().min(1),
  }),
  z.object({ op: z.literal('stopTraffic') }),
  z.object({ op: z.literal('snapshot') }),
  z.object({ op: z.literal('latency'), reset: z.boolean() }),
  z.object({ op: z.literal('disconnect'), count: z.number().int().min(0) }),
  z.object({ op: z.literal('reset') }),
  z.object({ op: z.literal('exit') }),
]);
export type Command = z.infer<typeof CommandSchema>;

export const IdentitiesResult = z.object({ nicks: z.array(z.string()), pubs: z.array(z.string()) });

export const ConnectResult = z.object({
  attempted: z.number().int(),
  ok: z.number().int(),
  rejected: z.number().int(),
  timeouts: z.number().int(),
  errors: z.number().int(),
  wallMs: z.number(),
  /** CPU the generator used from the batch's start until its last handshake ended (µs). */
  cpuUs: z.number(),
  handshake: histogramJson,
});
export type ConnectResultT = z.infer<typeof ConnectResult>;

export const SnapshotResult = z.object({
  tUs: z.number(),
  lines: z.number(),
  bytes: z.number(),
  marks: z.number(),
  sent: z.number(),
  skipped: z.number(),
  probeTimeouts: z.number(),
  cpuUs: z.number(),
  handshaked: z.number().int(),
  lostPeers: z.number().int(),
});
export type SnapshotResultT = z.infer<typeof SnapshotResult>;

export const LatencyResult = z.object({ hist: histogramJson });
export const OkResult = z.object({ done: z.literal(true) });
export const DisconnectResult = z.object({ closed: z.number().int(), wallMs: z.number() });

/** NaN/Infinity do not survive JSON IPC; the histogram's empty min/max come back as null. */
export function fixHistogram(h: z.infer<typeof histogramJson>): { counts: number[]; count: number; sum: number; min: number; max: number } {
  return {
    counts: h.counts,
    count: h.count,
    sum: h.sum,
    min: h.min ?? Number.POSITIVE_INFINITY,
    max: h.max ?? Number.NEGATIVE_INFINITY,
  };
}
