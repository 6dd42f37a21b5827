/** Socket-less connections for unit tests of directory modules. */
import { PeerConnection } from '../../../src/directory/peer-connection.js';
import type { InboundSocket } from '../../../src/transport/types.js';

export function fakeSocket(): InboundSocket & { written: Buffer[] } {
  const s = {
    remoteAddress: '127.0.0.1',
    remotePort: 1,
    writableLength: 0,
    destroyed: false,
    written: [] as Buffer[],
    write(b: Buffer) {
      s.written.push(b);
      return true;
    },
    end() {},
    destroy() {
      s.destroyed = true;
    },
    on() {
      return s;
    },
  };
  return s as InboundSocket & { written: Buffer[] };
}

let ids = 1;
export function fakePeer(nick: string, opts: { location?: string; serving?: boolean; features?: string[]; now?: number } = {}): PeerConnection {
  const c = new PeerConnection(ids++, fakeSocket(), opts.now ?? 0);
  c.nick = nick;
  c.location = opts.location ?? 'NOT-SERVING-ONION';
  c.serving = opts.serving ?? opts.location !== undefined;
  c.locationKey = c.serving ? c.location : '';
  c.features = opts.features ?? [];
  c.wantsPing = c.features.includes('ping');
  c.wantsPeerlistFeatures = c.features.includes('peerlist_features');
  return c;
}
