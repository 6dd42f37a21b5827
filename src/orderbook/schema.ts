/**
 * JSON API v1 (documented in docs/orderbook.md). Our own output is validated against these
 * schemas before it is served, so a bug shows up as a 500 with a reason, not as bad data.
 */
import { z } from 'zod';

export const API_VERSION = 1;

const nick = z.string().regex(/^J5[1-9A-HJ-NP-Za-km-z]{1,14}O*$/);
const sats = z.number().int().nonnegative();
const nullableNum = z.number().finite().nullable();

export const BondStatusSchema = z.enum(['verified', 'unverified', 'invalid']);

export const OfferSchema = z.object({
  nick,
  oid: z.number().int().nonnegative(),
  type: z.enum(['sw0reloffer', 'sw0absoffer', 'swreloffer', 'swabsoffer', 'reloffer', 'absoffer']),
  kind: z.enum(['rel', 'abs']),
  minsize: sats,
  maxsize: sats,
  txfee: sats,
  /** rel: decimal fraction as text ("0.00002"); abs: satoshis as decimal text. */
  cjfee: z.string().regex(/^[0-9]+(\.[0-9]+)?$/),
  source: z.enum(['public', 'private']),
  bondStatus: z.enum(['verified', 'unverified', 'invalid', 'none']),
  bondValue: nullableNum,
  /** Chance this maker is the first one picked by a bond-weighted taker (0..1). */
  pickChance: z.number().min(0).max(1),
  directories: z.array(z.string()),
  firstSeen: z.string(),
  lastSeen: z.string(),
});
export type ApiOffer = z.infer<typeof OfferSchema>;

export const BondSchema = z.object({
  nick,
  status: BondStatusSchema,
  reason: z.string().nullable(),
  txid: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
  vout: z.number().int().nonnegative().nullable(),
  locktime: z.number().int().nonnegative().nullable(),
  certExpiry: z.number().int().nonnegative().nullable(),
  utxoPub: z.string().regex(/^[0-9a-f]{66}$/).nullable(),
  amountSat: sats.nullable(),
  confirmTime: z.number().int().nullable(),
  value: nullableNum,
  /** Set when another nick presented the same outpoint and won it. */
  duplicateOf: nick.nullable(),
  receivedAt: z.string(),
});
export type ApiBond = z.infer<typeof BondSchema>;

export const SybilSchema = z.object({
  honestWeight: nullableNum,
  bondedMakers: z.number().int().nonnegative(),
  targetSuccess: z.number(),
  rows: z.array(z.object({ makers: z.number().int().positive(), lockedSats: z.record(z.string(), z.number()), burnedSats: z.number() })),
  note: z.string(),
});

export const OrderbookSchema = z.object({
  apiVersion: z.literal(API_VERSION),
  generatedAt: z.string(),
  network: z.string(),
  ourNick: nick,
  chain: z.object({ rpc: z.boolean(), height: z.number().int().nullable(), medianTime: z.number().int().nullable(), error: z.string().nullable() }),
  makers: z.number().int().nonnegative(),
  offers: z.array(OfferSchema),
  bonds: z.array(BondSchema),
  sybil: SybilSchema,
});
export type ApiOrderbook = z.infer<typeof OrderbookSchema>;

const HistoryWindowSchema = z.object({
  uptime: z.number().min(0).max(1).nullable(),
  samples: z.number().int().nonnegative(),
  connects: z.number().int().nonnegative(),
  disconnects: z.number().int().nonnegative(),
  handshakeMs: z.number().nonnegative().nullable(),
  rttMs: z.number().nonnegative().nullable(),
});

export const DirectorySchema = z.object({
  id: z.string(),
  host: z.string(),
  port: z.number().int(),
  state: z.enum(['idle', 'connecting', 'handshaking', 'connected', 'waiting', 'stopped']),
  connected: z.boolean(),
  dnNick: z.string().nullable(),
  motd: z.string().nullable(),
  features: z.array(z.string()),
  handshakeLatencyMs: z.number().nullable(),
  pingRttMs: z.number().nullable(),
  connectedSince: z.string().nullable(),
  peersSeen: z.number().int().nonnegative(),
  makersSeen: z.number().int().nonnegative(),
  reconnectAttempts: z.number().int().nonnegative(),
  lastError: z.string().nullable(),
  lastRejection: z.string().nullable(),
  /** Whether the directory offers nick authentication and whether it accepted our proof. */
  nickAuth: z.object({ offered: z.boolean().nullable(), verified: z.boolean(), error: z.string().nullable(), label: z.string() }),
  /** Reachability and latency over the last hour and day (null where no history is kept). */
  history: z.object({ hour: HistoryWindowSchema, day: HistoryWindowSchema, timeline: z.array(z.number().min(0).max(1).nullable()).length(24) }).nullable(),
});
export const DirectoriesSchema = z.object({ apiVersion: z.literal(API_VERSION), generatedAt: z.string(), directories: z.array(DirectorySchema) });
export type ApiDirectories = z.infer<typeof DirectoriesSchema>;

export const HealthSchema = z.object({
  status: z.enum(['ok', 'degraded', 'down']),
  connectedDirectories: z.number().int(),
  totalDirectories: z.number().int(),
  makers: z.number().int(),
  offers: z.number().int(),
  /** The book's bounds and what they refused or evicted since start (docs/orderbook.md, "Limits"). */
  book: z.object({
    nicks: z.number().int().nonnegative(),
    maxOffersPerMaker: z.number().int().positive(),
    maxOffers: z.number().int().positive(),
    maxNicks: z.number().int().positive(),
    rejectedOffers: z.number().int().nonnegative(),
    skippedOffers: z.number().int().nonnegative(),
    perMakerEvictions: z.number().int().nonnegative(),
    bookFullEvictions: z.number().int().nonnegative(),
    nickEvictions: z.number().int().nonnegative(),
    /** `!tbond`s with a new proof not checked: over the per-nick or overall budget. */
    bondProofsDropped: z.number().int().nonnegative(),
  }),
});
export type ApiHealth = z.infer<typeof HealthSchema>;

/** Validates our own output; throws an Error naming the first bad field. */
export function checkOwnOutput<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const i = r.error.issues[0];
  throw new Error(`${what}: internal output failed validation at ${i?.path.join('.') ?? '?'}: ${i?.message ?? 'invalid'}`);
}
