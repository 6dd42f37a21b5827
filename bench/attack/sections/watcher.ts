/**
 * Attack section "watcher": an offer flood through a real directory into `jm-orderbook serve`
 * (both child processes). Each pubmsg line carries ~880 unsigned offers; the watcher must keep
 * its book and memory bounded, keep the honest maker, and keep serving the page and the API.
 */
import type { AttackRow, SectionRun } from '../types.js';
import { percentile } from '../../lib/stats.js';
import { BUDGET_OFF_ARGS, NETWORK, RssSampler, startDn, startWatcher, type DnTarget, type WatcherTarget } from '../lib/targets.js';
import { RawPeer, openMany, sleep } from '../lib/wire.js';

/** The per-maker cap the watcher documents (src/orderbook/book.ts DEFAULT_BOOK_LIMITS). */
import { DEFAULT_BOOK_LIMITS } from '../../../src/orderbook/book.js';

const HONEST_OFFER = 'sw0reloffer 0 27300 5000000 0 0.00002';
/** Page and API must answer within this at p99 while the flood lasts. */
const LATENCY_P99_MS = 1_000;
const RSS_BUDGET_MIB = 100;

/** ~880 `sw0absoffer` commands in one pubmsg body, under the line limit. */
export function offerBody(firstOid: number, count = 880): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) parts.push(`sw0absoffer ${firstOid + i} 27300 5000000 0 250`);
  return parts.join('!');
}

interface Probe {
  stop(): Promise<{ page: number[]; api: number[]; pageBytes: number; apiBytes: number; errors: number; peakOffers: number }>;
}

/** Loads the page and the API one after the other until stopped; records each latency. */
function probeHttp(url: string): Probe {
  const page: number[] = [];
  const api: number[] = [];
  let pageBytes = 0;
  let apiBytes = 0;
  let errors = 0;
  let running = true;
  const get = async (path: string, into: number[]): Promise<number> => {
    const t = performance.now();
    try {
      const r = await fetch(url + path, { signal: AbortSignal.timeout(30_000) });
      const n = (await r.arrayBuffer()).byteLength;
      into.push(performance.now() - t);
      if (!r.ok) errors++;
      return n;
    } catch {
      errors++;
      into.push(performance.now() - t);
      return 0;
    }
  };
  let peakOffers = 0;
  const loop = (async () => {
    while (running) {
      pageBytes = Math.max(pageBytes, await get('', page));
      apiBytes = Math.max(apiBytes, await get('api/v1/orderbook', api));
      try {
        peakOffers = Math.max(peakOffers, Number(((await (await fetch(`${url}health`)).json()) as { offers?: number }).offers ?? 0));
      } catch {
        errors++;
      }
      await sleep(50);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { page, api, pageBytes, apiBytes, errors, peakOffers };
    },
  };
}

interface ApiOffer { nick: string; oid: number }

async function offers(w: WatcherTarget): Promise<ApiOffer[]> {
  const r = await fetch(`${w.url}api/v1/orderbook`);
  return ((await r.json()) as { offers: ApiOffer[] }).offers;
}

async function health(w: WatcherTarget): Promise<Record<string, unknown>> {
  return (await (await fetch(`${w.url}health`)).json()) as Record<string, unknown>;
}

/** Polls the API until `cond` holds (or `ms` passed); true if it did. */
async function waitBook(w: WatcherTarget, cond: (o: ApiOffer[]) => boolean, ms: number): Promise<boolean> {
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    try {
      if (cond(await offers(w))) return true;
    } catch {
      // not up yet
    }
    await sleep(250);
  }
  return false;
}

interface Flood {
  name: string;
  attack: string;
  /** Sends the flood; returns the flooders' nicks and the nick/oid of the last offer sent. */
  send(dn: DnTarget, quick: boolean): Promise<{ nicks: string[]; peers: RawPeer[]; last: ApiOffer; offersSent: number }>;
}

const ONE_NICK: Flood = {
  name: 'offer-flood-one-nick',
  attack: 'one nick sends 197 pubmsg lines of ~880 !sw0absoffer each (173,000 offers)',
  async send(dn, quick) {
    const lines = quick ? 40 : 197;
    const p = await RawPeer.joined(dn.port, NETWORK);
    for (let l = 0; l < lines; l++) p.pubmsg(offerBody(l * 880));
    p.pubmsg('sw0absoffer 999999 27300 5000000 0 250');
    return { nicks: [p.nick], peers: [p], last: { nick: p.nick, oid: 999_999 }, offersSent: lines * 880 + 1 };
  },
};

const MANY_NICKS: Flood = {
  name: 'offer-flood-many-nicks',
  attack: '300 nicks each send one line of ~880 offers (264,000 offers from 300 makers)',
  async send(dn, quick) {
    const n = quick ? 60 : 300;
    // Lines from many connections interleave: the end marker goes out only once a peer of our
    // own has received every flood line, so everything before it reached the watcher too.
    const observer = await RawPeer.joined(dn.port, NETWORK);
    const peers = (await openMany(n, 50, () => RawPeer.joined(dn.port, NETWORK))).ok;
    for (const p of peers) p.pubmsg(offerBody(0));
    const t0 = performance.now();
    while (observer.bigLines < peers.length && performance.now() - t0 < 60_000) await sleep(50);
    observer.close();
    const last = peers[peers.length - 1]!;
    last.pubmsg('sw0absoffer 999999 27300 5000000 0 250');
    return { nicks: peers.map((p) => p.nick), peers, last: { nick: last.nick, oid: 999_999 }, offersSent: peers.length * 880 + 1 };
  },
};

async function floodRow(f: Flood, quick: boolean, root: string, log: (m: string) => void): Promise<AttackRow> {
  const row: AttackRow = {
    section: 'watcher', name: f.name, attack: f.attack, outcome: 'failed', reaction: '', reactionMs: null,
    rssBeforeMiB: NaN, rssPeakMiB: NaN, rssAfterMiB: NaN, honestServed: false, honestDetail: '', figures: {}, pass: false,
  };
  let dn: DnTarget | null = null;
  let w: WatcherTarget | null = null;
  const peers: RawPeer[] = [];
  try {
    // The watcher is under test, not the DN: its DN relays the whole flood (no pubmsg byte
    // allowance), does not cut the watcher for reading slower than loopback delivers, and does
    // not skip it past the soft mark either (that would drop flood lines and the end marker).
    dn = await startDn({
      root,
      args: ['--pubmsg-bytes', '0', ...BUDGET_OFF_ARGS, '--write-high-water', String(256 * 1024 * 1024), '--write-soft-mark', '0'],
    });
    w = await startWatcher({ root, dnPort: dn.port });
    // A public offer reaches only watchers already on the directory (we do not answer !orderbook).
    const t = performance.now();
    while (Number((await health(w)).connectedDirectories) < 1) {
      if (performance.now() - t > 15_000) throw new Error('the watcher did not connect to the directory');
      await sleep(100);
    }
    const maker = await RawPeer.joined(dn.port, NETWORK);
    peers.push(maker);
    maker.pubmsg(HONEST_OFFER);
    if (!(await waitBook(w, (o) => o.some((x) => x.nick === maker.nick), 15_000))) throw new Error('the honest offer never reached the watcher');
    await sleep(500);
    row.rssBeforeMiB = Math.round(w.rssMiB() * 10) / 10;
    const rss = new RssSampler(w).start();
    const probe = probeHttp(w.url);
    const t0 = performance.now();
    const sent = await f.send(dn, quick);
    peers.push(...sent.peers);
    const done = await waitBook(w, (o) => o.some((x) => x.nick === sent.last.nick && x.oid === sent.last.oid), quick ? 60_000 : 180_000);
    const tDone = performance.now() - t0;
    await sleep(2_000);
    const http = await probe.stop();
    const book = await offers(w);
    const h = await health(w);
    row.rssPeakMiB = Math.round(rss.stop() * 10) / 10;
    row.rssAfterMiB = Math.round(w.rssMiB() * 10) / 10;
    const flooders = new Set(sent.nicks);
    const perNick = new Map<string, number>();
    for (const o of book) if (flooders.has(o.nick)) perNick.set(o.nick, (perNick.get(o.nick) ?? 0) + 1);
    const maxPerNick = Math.max(0, ...perNick.values());
    const honestKept = book.some((o) => o.nick === maker.nick);
    const p99 = (xs: number[]): number => Math.round(percentile(xs, 99));
    const p50 = (xs: number[]): number => Math.round(percentile(xs, 50));
    row.figures = {
      offersSent: sent.offersSent, offersInBook: book.length, peakOffers: http.peakOffers, maxPerFlooder: maxPerNick, cap: DEFAULT_BOOK_LIMITS.maxOffersPerMaker,
      processedSec: Math.round(tDone / 100) / 10, pageP50Ms: p50(http.page), pageP99Ms: p99(http.page), pageMaxMs: Math.round(Math.max(...http.page)),
      apiP50Ms: p50(http.api), apiP99Ms: p99(http.api), apiMaxMs: Math.round(Math.max(...http.api)), requests: http.page.length + http.api.length,
      httpErrors: http.errors, pageBytes: http.pageBytes, apiBytes: http.apiBytes, ...(h.book as Record<string, number>),
    };
    const bounded = done && maxPerNick <= DEFAULT_BOOK_LIMITS.maxOffersPerMaker && Math.max(book.length, http.peakOffers) <= DEFAULT_BOOK_LIMITS.maxOffers + 1;
    row.outcome = bounded ? 'bounded' : 'failed';
    row.reaction = `${done ? `took ${(tDone / 1000).toFixed(1)} s to process` : 'had not processed the flood at the time limit'}; book peaked at ${http.peakOffers} offers (${book.length} at the end), at most ${maxPerNick} per flooder (cap ${DEFAULT_BOOK_LIMITS.maxOffersPerMaker}); API up to ${Math.round(http.apiBytes / 1024)} KiB`;
    row.reactionMs = done ? Math.round(tDone) : null;
    const latencyOk = p99(http.page) <= LATENCY_P99_MS && p99(http.api) <= LATENCY_P99_MS && http.errors === 0;
    row.honestServed = honestKept && latencyOk && w.alive();
    row.honestDetail = `honest maker's offer ${honestKept ? 'kept' : 'LOST'}; page p50/p99/max ${p50(http.page)}/${p99(http.page)}/${row.figures.pageMaxMs} ms, API ${p50(http.api)}/${p99(http.api)}/${row.figures.apiMaxMs} ms over ${row.figures.requests} requests (limit p99 ${LATENCY_P99_MS} ms), ${http.errors} errors`;
    row.figures.rssGrowthMiB = Math.round((row.rssPeakMiB - row.rssBeforeMiB) * 10) / 10;
    row.figures.rssBudgetMiB = RSS_BUDGET_MIB;
    if (w.errors.length > 0) {
      row.outcome = 'failed';
      row.reaction += `; watcher error output: ${w.errors[0]}`;
    }
    row.pass = row.outcome !== 'failed' && row.honestServed && row.rssPeakMiB - row.rssBeforeMiB <= RSS_BUDGET_MIB;
  } catch (e) {
    row.reaction = `runner error: ${e instanceof Error ? e.message : String(e)}`;
  } finally {
    for (const p of peers) p.close();
    if (w) await w.stop();
    if (dn) await dn.stop();
  }
  log(`watcher/${f.name}: ${row.outcome}${row.pass ? '' : ' (FAIL)'} — ${row.reaction}; RSS ${row.rssBeforeMiB}→${row.rssPeakMiB}→${row.rssAfterMiB} MiB; ${row.honestDetail}`);
  return row;
}

export const run: SectionRun = async (ctx) => {
  const rows: AttackRow[] = [];
  for (const f of [ONE_NICK, MANY_NICKS]) {
    if (ctx.only && ctx.only.length > 0 && !ctx.only.includes(f.name)) continue;
    rows.push(await floodRow(f, ctx.quick, ctx.root, ctx.log));
  }
  return rows;
};
