/** The /health document (kept apart from http.ts so it loads without prom-client). */
import type { MetricsSource } from './metrics.js';
import type { BudgetDrop, BudgetLevels } from './broadcast-budget.js';
import type { PrivmsgDrop } from './inbox-budget.js';

export interface HealthSource extends MetricsSource {
  readonly network: string;
  readonly nick: string;
  readonly publicLocation: string;
  readonly limits: { maxPeers: number };
  readonly nickAuth: { readonly mode: string; readonly directoryId: string; readonly enabled: boolean };
}

export interface HealthBody {
  status: 'ok' | 'full';
  peers: number;
  makers: number;
  takers: number;
  pending: number;
  maxPeers: number;
  uptime: number;
  network: string;
  nick: string;
  location: string;
  /** "<56 chars>.onion:5222" once a Tor directory has published its service, else null. */
  onion: string | null;
  /** Serving claims by proof state; null when location proofs are off. */
  locations: { proven: number; pending: number; failed: number } | null;
  /** Nick authentication mode and the id clients sign for (null when off). */
  nickAuth: { mode: string; directoryId: string } | null;
  /**
   * DN-wide broadcast budget: fill of each bucket (1 full, ≤ 0 empty, null off), pubmsgs it did
   * not relay by reason, broadcast lines skipped for peers over the soft mark, such peers now.
   */
  broadcast: BudgetLevels & { dropped: Record<BudgetDrop, number>; skipped: number; lagging: number };
  /** Privmsgs not relayed for their target's sake, by reason (inbox-budget.ts). */
  privmsg: { dropped: Record<PrivmsgDrop, number> };
  /** `;D` notice byte budget: fill (1 full, 0 empty, null off) and departures left unannounced. */
  departures: { level: number | null; dropped: { priority: number; other: number } };
}

const ONION_LOCATION = /^[a-z2-7]{56}\.onion:[0-9]{1,5}$/;

export function healthBody(src: HealthSource): HealthBody {
  const peers = src.registry.makers + src.registry.takers;
  const b = src.broadcast;
  return {
    status: peers >= src.limits.maxPeers ? 'full' : 'ok',
    peers,
    makers: src.registry.makers,
    takers: src.registry.takers,
    pending: src.pendingCount,
    maxPeers: src.limits.maxPeers,
    uptime: src.uptimeSeconds,
    network: src.network,
    nick: src.nick,
    location: src.publicLocation,
    onion: ONION_LOCATION.test(src.publicLocation) ? src.publicLocation : null,
    locations: src.prover ? src.locationCounts() : null,
    nickAuth: src.nickAuth.enabled ? { mode: src.nickAuth.mode, directoryId: src.nickAuth.directoryId } : null,
    broadcast: { ...b.levels, dropped: { ...src.stats.budgetDrops }, skipped: src.stats.broadcastSkipped, lagging: b.laggingPeers },
    privmsg: { dropped: { ...src.stats.privmsgDrops } },
    departures: src.departureBudget,
  };
}
