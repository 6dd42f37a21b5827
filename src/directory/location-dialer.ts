/** How the directory reaches a claimed location for its proof: TCP on loopback, SOCKS for onions. */
import net from 'node:net';
import type { Location } from '../protocol/onion.js';
import { dialSocks } from '../transport/socks.js';
import type { LocationDialer } from './location-prover.js';

export function locationDialer(socksOf: () => { host: string; port: number } | null): LocationDialer {
  return (loc: Location) => {
    const socks = socksOf();
    if (loc.kind === 'loopback') {
      return new Promise((resolve, reject) => {
        const s = net.connect({ host: loc.host === 'localhost' ? '127.0.0.1' : loc.host, port: loc.port });
        s.once('error', reject);
        s.once('connect', () => {
          s.off('error', reject);
          resolve(s);
        });
      });
    }
    if (loc.kind !== 'onion') return Promise.reject(new Error('not a serving location'));
    if (socks === null) return Promise.reject(new Error('no SOCKS proxy configured for onion locations'));
    // One circuit per location: probes of different makers never share one.
    return dialSocks({ socksHost: socks.host, socksPort: socks.port, host: loc.host, port: loc.port, isolationId: `jm-proof-${loc.host}` });
  };
}
