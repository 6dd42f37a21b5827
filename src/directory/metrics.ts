/**
 * Prometheus metrics on a registry of our own. Values are read from DirectoryStats and the
 * registry at scrape time (collect callbacks), so the hot path only bumps plain integers.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { HANDSHAKE_RESULTS, NICK_AUTH_COUNTERS, RELAY_REFUSALS, ROUTED_TYPES, type DirectoryStats } from './stats.js';
import { RATE_KIND_NAMES } from './rate-limiter.js';
import type { ProverStats } from './location-prover.js';
import { BUDGET_DROPS, type BudgetLevels } from './broadcast-budget.js';
import { PRIVMSG_DROPS } from './inbox-budget.js';

export interface MetricsSource {
  readonly stats: DirectoryStats;
  readonly registry: { makers: number; takers: number };
  readonly pendingCount: number;
  /** Bytes held for unterminated lines, all connections. */
  readonly partialLineBytes: number;
  /** Unsent private output bytes, all connections (an upper bound between refreshes). */
  readonly unsentOutputBytes: number;
  readonly uptimeSeconds: number;
  /** Serving claims of registered peers by proof state (all zero when proofs are off). */
  locationCounts(): { proven: number; pending: number; failed: number };
  readonly prover: { readonly stats: ProverStats } | null;
  /** The DN-wide broadcast budget's fill (null: that budget is off) and the peers skipped by broadcasts. */
  readonly broadcast: { levels: BudgetLevels; laggingPeers: number };
  /** The `;D` byte budget's fill (null: off) and the departures it left unannounced. */
  readonly departureBudget: { level: number | null; dropped: { priority: number; other: number } };
}

function counter(reg: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [reg],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

function labelledCounter(reg: Registry, name: string, help: string, label: string, read: () => Iterable<[string, number]>): void {
  new Counter({
    name,
    help,
    labelNames: [label],
    registers: [reg],
    collect() {
      this.reset();
      for (const [k, v] of read()) this.inc({ [label]: k }, v);
    },
  });
}

export function createMetricsRegistry(src: MetricsSource): Registry {
  const reg = new Registry();
  const s = src.stats;
  new Gauge({
    name: 'jm_directory_peers',
    help: 'Handshaked peers by role (maker = serves an onion/location, taker = not serving); pending = awaiting handshake',
    labelNames: ['role'],
    registers: [reg],
    collect() {
      this.set({ role: 'maker' }, src.registry.makers);
      this.set({ role: 'taker' }, src.registry.takers);
      this.set({ role: 'pending' }, src.pendingCount);
    },
  });
  new Gauge({
    name: 'jm_directory_locations',
    help: 'Serving locations claimed by handshaked peers, by proof state (only proven ones are listed in peerlists)',
    labelNames: ['state'],
    registers: [reg],
    collect() {
      const c = src.locationCounts();
      for (const k of ['proven', 'pending', 'failed'] as const) this.set({ state: k }, c[k]);
    },
  });
  labelledCounter(reg, 'jm_directory_location_proofs_total', 'Location proof work: probes dialled, claimants proven or failed, cache hits, claims that found the queue full (no attempt spent), claims of locations never dialled', 'event', () => {
    const st = src.prover?.stats;
    return st ? Object.entries(st) : [];
  });
  new Gauge({
    name: 'jm_directory_uptime_seconds',
    help: 'Seconds since the directory started',
    registers: [reg],
    collect() {
      this.set(src.uptimeSeconds);
    },
  });
  new Gauge({
    name: 'jm_directory_partial_line_bytes',
    help: 'Bytes held for unterminated lines over all connections (bounded by the input budget)',
    registers: [reg],
    collect() {
      this.set(src.partialLineBytes);
    },
  });
  new Gauge({
    name: 'jm_directory_unsent_output_bytes',
    help: 'Private output bytes queued or in socket buffers, not yet taken by peers (bounded by the output budget; shared broadcast buffers not counted)',
    registers: [reg],
    collect() {
      this.set(src.unsentOutputBytes);
    },
  });
  new Gauge({
    name: 'jm_directory_broadcast_budget_level',
    help: 'Fill of the DN-wide broadcast budgets (1 = full, 0 or less = empty); below half, the heaviest senders are shed',
    labelNames: ['budget'],
    registers: [reg],
    collect() {
      this.reset();
      const l = src.broadcast.levels;
      for (const k of ['messages', 'bytes', 'orderbook'] as const) {
        const v = l[k];
        if (v !== null) this.set({ budget: k }, v);
      }
    },
  });
  new Gauge({
    name: 'jm_directory_lagging_peers',
    help: 'Peers over the soft output mark, skipped by broadcasts until they catch up',
    registers: [reg],
    collect() {
      this.set(src.broadcast.laggingPeers);
    },
  });
  labelledCounter(reg, 'jm_directory_broadcast_budget_drops_total', 'Pubmsgs not relayed by the DN-wide broadcast budget: shed (a heavy sender while the budget ran low) or empty; orderbook-* for the !orderbook budget', 'reason', () =>
    BUDGET_DROPS.map((r) => [r, s.budgetDrops[r]]),
  );
  labelledCounter(reg, 'jm_directory_privmsg_drops_total', 'Privmsgs not relayed for their target: its queue over the soft mark (target-lagging) or its inbox budget (target-shed, target-empty)', 'reason', () =>
    PRIVMSG_DROPS.map((r) => [r, s.privmsgDrops[r]]),
  );
  new Gauge({
    name: 'jm_directory_departure_budget_level',
    help: 'Fill of the DN-wide byte budget of ;D departure notices (1 = full, 0 = empty; absent when off); below half only proven or offering nicks are announced',
    registers: [reg],
    collect() {
      this.reset();
      const v = src.departureBudget.level;
      if (v !== null) this.set(v);
    },
  });
  labelledCounter(reg, 'jm_directory_departure_drops_total', 'Departures not announced (no ;D) by the DN-wide departure notice budget: priority (proven location or announced offer) or other', 'class', () =>
    Object.entries(s.departuresDropped),
  );
  counter(reg, 'jm_directory_broadcast_skipped_total', 'Broadcast lines not sent to a peer over the soft output mark (per receiver)', () => s.broadcastSkipped);
  labelledCounter(reg, 'jm_directory_handshakes_total', 'Client handshakes by result', 'result', () =>
    HANDSHAKE_RESULTS.map((r) => [r, s.handshakes[r]]),
  );
  labelledCounter(reg, 'jm_directory_nick_auth_total', 'Nick authentication: challenges sent, results by code, unverified holders displaced, legacy peers refused in require mode', 'event', () =>
    NICK_AUTH_COUNTERS.map((r) => [r, s.nickAuth[r]]),
  );
  labelledCounter(reg, 'jm_directory_messages_routed_total', 'Messages routed or sent by the directory, by type (once per message)', 'type', () =>
    ROUTED_TYPES.map((t) => [t, s.routed[t]]),
  );
  labelledCounter(reg, 'jm_directory_rate_limit_disconnects_total', 'Peers disconnected for exceeding a rate limit', 'kind', () =>
    RATE_KIND_NAMES.map((k) => [k, s.rateLimitDisconnects[k]]),
  );
  labelledCounter(reg, 'jm_directory_rate_limit_drops_total', 'Messages dropped by a rate limit', 'kind', () =>
    RATE_KIND_NAMES.map((k) => [k, s.rateLimitDrops[k]]),
  );
  labelledCounter(reg, 'jm_directory_disconnects_total', 'Connections closed, by reason', 'reason', () => s.disconnects.entries());
  counter(reg, 'jm_directory_deliveries_total', 'Lines queued to peers (a broadcast to N peers counts N)', () => s.deliveries);
  counter(reg, 'jm_directory_bytes_in_total', 'Bytes received from peers', () => s.bytesIn);
  counter(reg, 'jm_directory_bytes_out_total', 'Bytes written to peers', () => s.bytesOut);
  counter(reg, 'jm_directory_connections_accepted_total', 'Inbound connections accepted', () => s.connectionsAccepted);
  counter(reg, 'jm_directory_connections_refused_total', 'Inbound connections refused at accept (shutting down)', () => s.connectionsRefused);
  counter(reg, 'jm_directory_pending_evicted_total', 'Oldest pre-handshake connections closed to admit a newcomer at the pending cap', () => s.pendingEvicted);
  counter(reg, 'jm_directory_evictions_total', 'Peers evicted by the heartbeat', () => s.evictions);
  counter(reg, 'jm_directory_slow_reader_disconnects_total', 'Peers cut off for not reading their output', () => s.slowReaderDisconnects);
  labelledCounter(reg, 'jm_directory_relay_refused_total', 'Routed lines not relayed: their reference encoding would be longer than received (would-grow) or than 39,998 bytes (over-limit)', 'reason', () =>
    RELAY_REFUSALS.map((r) => [r, s.relayRefused[r]]),
  );
  counter(reg, 'jm_directory_messages_dropped_total', 'Malformed or unroutable messages dropped', () => s.dropped);
  return reg;
}
