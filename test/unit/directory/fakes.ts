/** Socket-less connections for unit tests of directory modules. */
import { PeerConnection } from '../../../src/directory/peer-connection.js';
import type { InboundSocket, Listener } from '../../../src/transport/types.js';

let ids = 1;
export function fakePeer(nick: string, opts: { location?: string; serving?: boolean; features?: string[]; now?: number } = {}): PeerConnection {
  const c = new PeerConnection(ids++, drivableSocket(), opts.now ?? 0);
  c.nick = nick;
  c.location = opts.location ?? 'NOT-SERVING-ONION';
  c.serving = opts.serving ?? opts.location !== undefined;
  c.locationKey = c.serving ? c.location : '';
  c.claimedKey = c.locationKey;
  c.listedLocation = c.location;
  c.features = opts.features ?? [];
  c.wantsPing = c.features.includes('ping');
  c.wantsPeerlistFeatures = c.features.includes('peerlist_features');
  return c;
}

export type DrivableSocket = InboundSocket & {
  written: Buffer[];
  emit(event: 'data' | 'close', chunk?: Buffer): void;
  /** Everything written so far, as text. */
  text(): string;
};

/** A fake socket whose listeners can be driven: `emit('data', buf)`, `emit('close')`. */
export function drivableSocket(): DrivableSocket {
  const handlers = new Map<string, Array<(arg?: Buffer) => void>>();
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
    end() {
      s.destroy(); // the peer closes its side at once
    },
    destroy() {
      if (s.destroyed) return;
      s.destroyed = true;
      s.emit('close');
    },
    on(event: string, fn: (arg?: Buffer) => void) {
      handlers.set(event, [...(handlers.get(event) ?? []), fn]);
      return s;
    },
    emit(event: 'data' | 'close', chunk?: Buffer) {
      for (const fn of handlers.get(event) ?? []) fn.call(s, chunk);
    },
    text() {
      return Buffer.concat(s.written).toString('utf8');
    },
  };
  return s as DrivableSocket;
}

/** A listener that hands over the sockets a test creates with `connect()`. */
export function fakeListener(): Listener & { connect(): DrivableSocket } {
  let accept: ((s: InboundSocket) => void) | null = null;
  return {
    listen(onConnection) {
      accept = onConnection;
      return Promise.resolve({ host: '127.0.0.1', port: 1 });
    },
    close() {
      return Promise.resolve();
    },
    connect() {
      const s = drivableSocket();
      if (!accept) throw new Error('not listening');
      accept(s);
      return s;
    },
  };
}

/** Resolves after the callbacks already queued with setImmediate (the manager's flush) ran. */
export const afterFlush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
