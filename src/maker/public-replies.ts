/**
 * `!orderbook` askers the private-reply budget cannot serve are served together: our offers go
 * out as a public announcement on the directory they asked through, at most once per interval
 * per directory, however many asked meanwhile. Every taker reads public offers into its book
 * as it reads private replies (REF: on_pubmsg → check_for_orders → on_order_seen; NG:
 * fetch_orderbooks parses PUBMSG offers as well as PRIVMSG ones; ours: the watcher's book), so
 * a crowd of fresh nicks costs us one pubmsg per interval instead of one signed privmsg each.
 * A public offer carries no `!tbond`: a bond proof is signed for one taker and only fits a
 * private reply (docs/decisions.md, "Maker: serving newcomers through a fresh-nick flood").
 */
import type { Clock, Timer } from '../util/clock.js';

interface Route {
  last: number;
  timer: Timer | null;
  announce: (body: string) => boolean;
}

export class PublicReplies {
  private readonly routes = new Map<string, Route>();
  private _sent = 0;

  /**
   * `intervalMs()`: the shortest time between two announcements on one route (it may depend on
   * how many offers one announcement takes); `bodies()`: the pubmsg bodies of one announcement.
   */
  constructor(private readonly clock: Clock, private readonly intervalMs: () => number, private readonly bodies: () => string[]) {}

  /** Announcements made so far (each serves every asker waiting on its route). */
  get sent(): number {
    return this._sent;
  }

  /** Someone on `route` asked and was not answered privately: announce now, or once the interval allows. */
  request(route: string, announce: (body: string) => boolean): void {
    let r = this.routes.get(route);
    if (!r) this.routes.set(route, (r = { last: -Infinity, timer: null, announce }));
    r.announce = announce;
    if (r.timer !== null) return; // already due: that announcement serves this asker too
    const wait = r.last + this.intervalMs() - this.clock.now();
    if (wait <= 0) return this.send(r);
    r.timer = this.clock.setTimeout(() => this.send(r), wait);
  }

  stop(): void {
    for (const r of this.routes.values()) if (r.timer !== null) this.clock.clearTimeout(r.timer);
    this.routes.clear();
  }

  private send(r: Route): void {
    r.timer = null;
    r.last = this.clock.now();
    const bodies = this.bodies();
    if (bodies.length === 0) return;
    this._sent++;
    for (const body of bodies) r.announce(body);
  }
}
