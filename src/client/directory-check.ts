/**
 * Checks directories the way a client meets them: dial (Tor's SOCKS port, or TCP), a full
 * JoinMarket handshake (with nick authentication where offered), then GETPEERLIST where the
 * directory advertises `peerlist_features`.
 * A directory that accepts TCP but never completes a handshake counts as down (a bare connect,
 * as public monitors test, would call it healthy).
 */
import { NOT_SERVING_ONION } from '../protocol/onion.js';
import { systemClock, type Clock, type Timer } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Dialer, HostPort } from './dialer.js';
import { DirectoryClient } from './directory-client.js';
import { NickIdentity } from './identity.js';
import type { NickAuthStatus } from './nick-auth.js';

export interface DirectoryCheck {
  id: string;
  host: string;
  port: number;
  /** The socket (SOCKS stream) opened. */
  reachable: boolean;
  /** The directory accepted our handshake on our network. */
  ok: boolean;
  /** Dial time (over Tor: circuit + onion rendezvous), ms. */
  connectMs: number | null;
  /** Socket open → directory handshake, ms. */
  handshakeMs: number | null;
  /** Why not ok: connect error, rejection, timeout. */
  error: string | null;
  dnNick: string | null;
  network: string | null;
  motd: string | null;
  features: string[];
  /** Nick authentication (JMP-0005): offered by the directory, and whether it accepted our proof. */
  nickAuth: NickAuthStatus;
  /** From GETPEERLIST (the directory itself not counted); null where unsupported or failed. */
  peers: { total: number; serving: number } | null;
  /** Why GETPEERLIST gave no answer although advertised. */
  peerlistError: string | null;
}

export interface CheckOptions {
  /** Wire network for our handshake. */
  network: string;
  /** Makes a dialer for one directory; each should get its own Tor circuit. */
  dialerFor: (dn: HostPort) => Dialer;
  timeoutMs: number;
  /** How long to wait for the first PEERLIST answer. */
  peerlistTimeoutMs?: number;
  /** A chunked answer (ng: 20 entries a chunk) is complete after this much quiet. */
  peerlistQuietMs?: number;
  clock?: Clock;
  logger?: Logger;
}

export async function checkDirectory(dn: HostPort, o: CheckOptions): Promise<DirectoryCheck> {
  const clock = o.clock ?? systemClock;
  const r: DirectoryCheck = {
    id: `${dn.host}:${dn.port}`, host: dn.host, port: dn.port, reachable: false, ok: false, connectMs: null, handshakeMs: null,
    error: null, dnNick: null, network: null, motd: null, features: [], nickAuth: { offered: null, verified: false, error: null }, peers: null, peerlistError: null,
  };
  const dial = o.dialerFor(dn);
  const client = new DirectoryClient({
    host: dn.host, port: dn.port, identity: NickIdentity.random(), network: o.network, reconnect: false, clock,
    connectTimeoutMs: o.timeoutMs, handshakeTimeoutMs: Math.min(o.timeoutMs, 60_000), keepaliveMs: 0,
    ...(o.logger ? { logger: o.logger } : {}),
    dialer: async (host, port) => {
      const t0 = clock.now();
      const sock = await dial(host, port);
      r.reachable = true;
      r.connectMs = clock.now() - t0;
      return sock;
    },
  });
  client.start();
  try {
    const info = await client.whenConnected(o.timeoutMs + 60_000);
    Object.assign(r, {
      ok: true, handshakeMs: info.handshakeLatencyMs, dnNick: info.nick, network: info.network, motd: info.motd,
      features: info.features,
    });
    if (info.features.includes('peerlist_features')) {
      try {
        r.peers = await peersOf(client, o, clock);
      } catch (e) {
        r.peerlistError = (e as Error).message;
      }
    }
  } catch {
    r.error = client.lastRejection !== null ? `rejected: ${client.lastRejection}` : (client.lastError ?? 'no handshake');
  } finally {
    r.nickAuth = client.nickAuth;
    await client.stop();
  }
  return r;
}

async function peersOf(c: DirectoryClient, o: CheckOptions, clock: Clock): Promise<NonNullable<DirectoryCheck['peers']>> {
  const quietMs = o.peerlistQuietMs ?? 1500;
  // Chunks (ng: 20 entries each) carry no end marker: the answer is complete once the line goes quiet.
  let settle: () => void = () => {};
  const quiet = new Promise<void>((resolve) => (settle = resolve));
  let timer: Timer | null = null;
  const off = c.on('peerlist', () => {
    if (timer !== null) clock.clearTimeout(timer);
    timer = clock.setTimeout(settle, quietMs);
  });
  try {
    await c.requestPeerlist(o.peerlistTimeoutMs ?? 30_000);
    await quiet;
  } finally {
    off();
    if (timer !== null) clock.clearTimeout(timer);
  }
  const peers = [...c.peers().values()];
  return { total: peers.length, serving: peers.filter((p) => p.location !== NOT_SERVING_ONION).length };
}

/** Checks every directory at once; `onResult` reports each as it finishes (progress). */
export async function checkDirectories(dns: HostPort[], o: CheckOptions, onResult?: (r: DirectoryCheck) => void): Promise<DirectoryCheck[]> {
  return Promise.all(dns.map(async (dn) => {
    const r = await checkDirectory(dn, o);
    onResult?.(r);
    return r;
  }));
}
