/**
 * Admission stage 3: nick and location rules and capacity. One live connection per nick and
 * one nick per serving location. A live holder wins; a holder that has gone quiet is probed
 * (it is evicted by the heartbeat if it stays silent, and the newcomer's retry then succeeds);
 * a holder that cannot be probed is replaced once it has been silent long enough (pitfall 16).
 * Nick authentication (§2.8): a verified claim displaces an unverified holder, never the other
 * way round; a verified holder is only replaced by a newer proof for the same key.
 */
import type { DirectoryLimits } from './limits.js';
import type { PeerConnection } from './peer-connection.js';
import type { PeerRegistry } from './peer-registry.js';

export type Admission =
  | { kind: 'accept'; replace: PeerConnection[]; displaced: number }
  | { kind: 'reject'; reason: string; probe: PeerConnection[] };

export function canProbe(p: PeerConnection): boolean {
  return p.wantsPing || p.serving;
}

type AdmissionLimits = Pick<DirectoryLimits, 'maxPeers' | 'duplicateProbeAfterMs' | 'duplicateReplaceAfterMs'>;

/** `verified`: the key a nick-auth proof verified for this claim, or null. */
export function admit(reg: PeerRegistry, nick: string, locationKey: string, now: number, limits: AdmissionLimits, verified: string | null = null): Admission {
  const holders: Array<[PeerConnection, string]> = [];
  const byNick = reg.byNick(nick);
  if (byNick) holders.push([byNick, `nick already in use: ${nick}`]);
  const byLoc = reg.byLocationKey(locationKey);
  if (byLoc && byLoc !== byNick) holders.push([byLoc, 'location already registered by another nick']);

  const replace: PeerConnection[] = [];
  const probe: PeerConnection[] = [];
  let reason = '';
  let displaced = 0;
  for (const [holder, why] of holders) {
    const idle = now - holder.lastSeen;
    if (verified !== null && (holder.verifiedPubkey === null || holder.verifiedPubkey === verified)) {
      if (holder.verifiedPubkey === null) displaced++;
      replace.push(holder);
    } else if (holder.verifiedPubkey !== null) {
      // Never replaced on silence; a dead one is probed and evicted by the heartbeat.
      if (idle >= limits.duplicateProbeAfterMs && holder.probeSentAt === 0 && canProbe(holder)) probe.push(holder);
      reason ||= verified !== null ? `${why} (verified with another key)` : `${why} (verified holder)`;
    } else if (idle >= limits.duplicateProbeAfterMs && canProbe(holder)) {
      if (holder.probeSentAt === 0) probe.push(holder);
      reason ||= why;
    } else if (idle >= limits.duplicateReplaceAfterMs && !canProbe(holder)) {
      replace.push(holder);
    } else {
      reason ||= why;
    }
  }
  if (reason) return { kind: 'reject', reason, probe };
  if (reg.size - replace.length >= limits.maxPeers) return { kind: 'reject', reason: 'Maximum peers reached', probe: [] };
  return { kind: 'accept', replace, displaced };
}
