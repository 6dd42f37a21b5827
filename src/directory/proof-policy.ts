/**
 * Which claimed locations the directory refuses to dial for a proof. Its own address: a probe
 * of ourselves would reach our own relay, where the claimant can answer the probe's
 * `!orderbook` with a signed privmsg and so "prove" our location as its own. In loopback mode
 * (a testing mode) a claim names any 127.0.0.1 port, so only an allowed range is dialled, never
 * our own listener or HTTP port.
 */
import type { Location } from '../protocol/onion.js';

export interface PortRange {
  min: number;
  max: number;
}

/** Unprivileged ports: loopback proofs never dial system services. */
export const DEFAULT_LOOPBACK_PROOF_PORTS: PortRange = { min: 1024, max: 65535 };

export interface ProofPolicySource {
  /** Our advertised location ("<onion>:5222", "127.0.0.1:<port>", or NOT-SERVING-ONION). */
  publicLocation(): string;
  /** Ports we listen on (peers, HTTP). */
  ownPorts(): number[];
  loopbackPorts: PortRange;
}

/** Null when the location may be dialled, else why not. */
export function proofRefusal(src: ProofPolicySource, loc: Location): string | null {
  if (loc.kind === 'not-serving') return 'not a serving location';
  const pub = src.publicLocation().toLowerCase();
  const host = loc.host.toLowerCase();
  if (loc.kind === 'onion') return pub.startsWith(`${host}:`) ? "the directory's own onion" : null;
  const own = src.ownPorts();
  if (own.includes(loc.port) || pub === `127.0.0.1:${loc.port}` || pub === `localhost:${loc.port}`) return "the directory's own address";
  const r = src.loopbackPorts;
  if (loc.port < r.min || loc.port > r.max) return `loopback port ${loc.port} outside the allowed ${r.min}-${r.max}`;
  return null;
}
