import { describe, expect, it } from 'vitest';
import { OutputGuard } from '../../../src/directory/output-guard.js';
import type { PeerConnection } from '../../../src/directory/peer-connection.js';
import { fakePeer } from './fakes.js';

/** A peer whose socket reports `unsent` bytes still buffered. */
function peer(name: string): PeerConnection & { socket: { writableLength: number } } {
  return fakePeer(name) as PeerConnection & { socket: { writableLength: number } };
}

describe('OutputGuard', () => {
  it('counts private bytes while the socket holds them; the shared broadcast is not counted', () => {
    const g = new OutputGuard({ outputBudgetBytes: 1_000 });
    const a = peer('A');
    a.socket.writableLength = 100;
    g.wrote(a, 100, false);
    expect(g.total).toBe(100);
    a.socket.writableLength = 150;
    g.wrote(a, 50, true);
    expect(g.total).toBe(100);
    a.socket.writableLength = 120; // 30 of the private bytes went out
    g.recount(a);
    expect(g.total).toBe(70);
    a.socket.writableLength = 50; // only the shared tail is left
    g.recount(a);
    expect(g.total).toBe(0);
    expect(a.privateOut).toBeNull();
  });

  it('queued bytes count; consecutive private writes share one span; forget drops the connection', () => {
    const g = new OutputGuard({ outputBudgetBytes: 1_000 });
    const a = peer('A');
    a.pendingBytes = 40;
    g.recount(a);
    expect(g.total).toBe(40);
    a.pendingBytes = 0;
    a.socket.writableLength = 60;
    g.wrote(a, 40, false);
    g.wrote(a, 20, false);
    expect(a.privateOut?.spans).toEqual([0, 60]);
    expect(g.total).toBe(60);
    g.forget(a);
    expect(g.total).toBe(0);
  });

  it('sheds the largest holders first, down to three quarters of the budget, after refreshing stale counts', () => {
    const g = new OutputGuard({ outputBudgetBytes: 1_000 });
    const [a, b, c, d] = [peer('A'), peer('B'), peer('C'), peer('D')];
    for (const [p, n] of [[a, 300], [b, 500], [c, 400], [d, 200]] as const) {
      p.socket.writableLength = n;
      g.wrote(p, n, false);
    }
    expect(g.overBudget).toBe(true);
    d.socket.writableLength = 0; // drained unseen: refreshed before choosing
    // 1,200 counted: B (500) brings it to 700, under 750.
    expect(g.toShed()).toEqual([b]);
    expect(g.total).toBe(1_200);
  });
});
