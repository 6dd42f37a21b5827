/**
 * Handshaked peers: nick → connection, location → connection, and a dense array for
 * broadcasts. Every operation is O(1); removal swaps the last peer into the freed slot.
 */
import type { PeerConnection } from './peer-connection.js';
import type { Location } from '../protocol/onion.js';

/** One nick per serving location: onion hosts ignore the port, loopback keeps it. */
export function locationKey(loc: Location): string {
  if (loc.kind === 'not-serving') return '';
  if (loc.kind === 'onion') return loc.host;
  return `${loc.host === 'localhost' ? '127.0.0.1' : loc.host}:${loc.port}`;
}

export class PeerRegistry {
  private readonly nicks = new Map<string, PeerConnection>();
  private readonly locations = new Map<string, PeerConnection>();
  /** Dense list of registered peers; iterate it for broadcasts. Do not mutate. */
  readonly peers: PeerConnection[] = [];
  /** Peers that serve (advertise a location) or announced an offer; the rest are takers. */
  makers = 0;
  /** Bumped whenever the listed peers may change (GETPEERLIST replies are cached per version). */
  version = 0;

  get size(): number {
    return this.peers.length;
  }

  get takers(): number {
    return this.peers.length - this.makers;
  }

  byNick(nick: string): PeerConnection | undefined {
    return this.nicks.get(nick);
  }

  byLocationKey(key: string): PeerConnection | undefined {
    return key === '' ? undefined : this.locations.get(key);
  }

  has(conn: PeerConnection): boolean {
    return conn.registryIndex >= 0 && this.peers[conn.registryIndex] === conn;
  }

  /** Registers a peer; the caller has already resolved nick and location conflicts. */
  add(conn: PeerConnection): void {
    if (this.has(conn)) return;
    const prev = this.nicks.get(conn.nick);
    if (prev) this.remove(prev);
    const prevLoc = this.byLocationKey(conn.locationKey);
    if (prevLoc) this.remove(prevLoc);
    this.nicks.set(conn.nick, conn);
    if (conn.locationKey !== '') this.locations.set(conn.locationKey, conn);
    conn.registryIndex = this.peers.length;
    this.peers.push(conn);
    this.version++;
    if (conn.serving || conn.announcedOffer) this.makers++;
  }

  /** The peer announced an offer: a maker from now on, even without a serving location. */
  markOfferer(conn: PeerConnection): void {
    if (conn.announcedOffer) return;
    conn.announcedOffer = true;
    this.version++;
    if (!conn.serving && this.has(conn)) this.makers++;
  }

  /**
   * A registered peer's location was proven: it takes the location key. A previous holder
   * loses it (its listing falls back to not serving) and is returned.
   */
  setLocation(conn: PeerConnection, key: string): PeerConnection | null {
    if (!this.has(conn) || key === '') return null;
    // The caller updates the listed locations next.
    this.version++;
    const prev = this.locations.get(key);
    if (prev === conn) return null;
    if (conn.locationKey !== '' && this.locations.get(conn.locationKey) === conn) this.locations.delete(conn.locationKey);
    conn.locationKey = key;
    this.locations.set(key, conn);
    if (prev) prev.locationKey = '';
    return prev ?? null;
  }

  /** Unregisters a peer; returns false if it was not registered. */
  remove(conn: PeerConnection): boolean {
    if (!this.has(conn)) return false;
    const i = conn.registryIndex;
    const last = this.peers.pop()!;
    if (last !== conn) {
      this.peers[i] = last;
      last.registryIndex = i;
    }
    conn.registryIndex = -1;
    this.version++;
    if (this.nicks.get(conn.nick) === conn) this.nicks.delete(conn.nick);
    if (conn.locationKey !== '' && this.locations.get(conn.locationKey) === conn) this.locations.delete(conn.locationKey);
    if (conn.serving || conn.announcedOffer) this.makers--;
    return true;
  }
}
