/**
 * The maker section of the attack runner: a real `jm-maker start` (child process, funded
 * regtest wallet) behind our DN (`jm-directory --transport tcp`, child process), one fresh
 * maker per attack. Each row: maker RSS before/peak/after, CPU during the flood and how long
 * it took to settle after it, bytes the maker wrote to disk (/proc/<pid>/io write_bytes), log
 * bytes per second, and honest results: a fresh nick's `!orderbook` answered within 5 s (five
 * times during the flood, once after; by a private reply, or by the public announcement a maker
 * past its private budget makes, which every taker reads into its book) and a fresh nick's
 * valid `!fill` answered with `!pubkey` within 10 s (during and after). Targets: RSS growth ≤ 64 MiB, CPU settled within 15 s of
 * the flood's end, ≤ 200 MB written, ≥ 4/5 honest `!orderbook` and the honest `!fill`
 * answered during the flood.
 *
 * Standalone: `tsx bench/attack/sections/maker.ts [--quick] [--only hp2-flood,fill-flood]` prints the rows.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type net from 'node:net';
import { NickIdentity } from '../../../src/client/identity.js';
import { MsgType } from '../../../src/protocol/message-types.js';
import { Wallet } from '../../../src/wallet/wallet.js';
import { ensureBuilt, findRoot } from '../../lib/child.js';
import { findRegtestBinary, startRegtestNode, type RegtestNode } from '../../lib/regtest-node.js';
import { fillArgs, fundedWallet, HostileDirectory, Peer, ProcSampler, slowSocket, startMaker, startRegtestDn, writeBytes, type MakerChild } from '../lib/maker-rig.js';
import type { DnTarget } from '../lib/targets.js';
import { sleep } from '../lib/wire.js';
import type { AttackRow, SectionContext, SectionRun } from '../types.js';

const TARGET = { rssGrowthMiB: 64, settleMs: 15_000, writtenBytes: 200e6, orderbookDuring: 4 };

interface Env {
  ctx: SectionContext;
  node: RegtestNode;
  dnPort: number;
  wallet: string;
}

interface Flood {
  maker: MakerChild;
  env: Env;
  durationMs: number;
  hostile: HostileDirectory | null;
  /** Peers and sockets to close when the scenario ends. */
  closers: Array<() => void>;
}

interface Scenario {
  name: string;
  attack: string;
  /** Full and quick flood durations. */
  durationMs: [number, number];
  hostile?: boolean;
  /** Writes the maker's commitment list before it starts. */
  prepare?(file: string, quick: boolean): Promise<Record<string, number>>;
  /** Runs the attack for f.durationMs; returns its own figures. */
  flood(f: Flood): Promise<Record<string, number | string | boolean>>;
  /** An extra honest check during the flood (e.g. over the direct port); true = served. */
  extraHonest?(f: Flood): Promise<{ ok: boolean; detail: string }>;
}

// ------------------------------------------------------------------ honest checks

interface OrderbookAnswer {
  ms: number;
  how: 'private' | 'public';
}

async function honestOrderbook(dnPort: number, maker: string): Promise<OrderbookAnswer | null> {
  const p = await Peer.join(dnPort);
  try {
    const t0 = performance.now();
    const offer = p.offer(maker, 5_000);
    p.pub('orderbook');
    const how = await offer;
    return how === null ? null : { ms: performance.now() - t0, how };
  } finally {
    p.close();
  }
}

async function honestFill(port: number, maker: MakerChild, direct = false): Promise<number | null> {
  const p = direct ? await Peer.direct(port) : await Peer.join(port);
  try {
    const t0 = performance.now();
    const reply = p.reply(maker.nick, ['pubkey', 'error'], 10_000);
    p.priv(maker.nick, 'fill', fillArgs(maker.offer));
    const r = await reply;
    return r?.cmd === 'pubkey' ? performance.now() - t0 : null;
  } finally {
    p.close();
  }
}

const ms = (v: number | null): string => (v === null ? 'none' : `${Math.round(v)} ms`);

// ------------------------------------------------------------------ attacks

/** Calls `tick(i)` every `everyMs` (catching up when late) until `durationMs` has passed; returns the count. */
async function ticker(durationMs: number, everyMs: number, tick: (i: number) => void): Promise<number> {
  const t0 = performance.now();
  let i = 0;
  for (let now = t0; now - t0 < durationMs; now = performance.now()) {
    while (i * everyMs <= now - t0) tick(i++);
    await sleep(Math.min(everyMs, 50));
  }
  return i;
}

async function crowd(f: Flood, n: number, mute = false): Promise<Peer[]> {
  const peers: Peer[] = [];
  for (let i = 0; i < n; i += 50) peers.push(...(await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => Peer.join(f.env.dnPort)))));
  if (mute) peers.forEach((p) => p.mute());
  f.closers.push(() => peers.forEach((p) => p.close()));
  return peers;
}

const hex32 = (): string => randomBytes(32).toString('hex');

/**
 * A crowd of `n` fresh nicks, one connection each: `burst` messages from each at once (its
 * allowance), then one from the crowd in turn so that each sends one per `periodMs`.
 */
async function freshNickFlood(f: Flood, n: number, burst: number, periodMs: number, send: (p: Peer) => void): Promise<number> {
  const peers = await crowd(f, n, true);
  let sent = 0;
  for (const p of peers) for (let i = 0; i < burst; i++, sent++) send(p);
  await ticker(f.durationMs, periodMs / peers.length, (i) => {
    send(peers[i % peers.length]!);
    sent++;
  });
  return sent;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'maker-hp2-flood',
    attack: 'one nick sends pubmsgs of 500 `!hp2 <random commitment>` each, 2 a second',
    durationMs: [20_000, 6_000],
    async flood(f) {
      const [p] = await crowd(f, 1);
      const lines = await ticker(f.durationMs, 500, () => p!.pub(Array.from({ length: 500 }, () => `hp2 ${hex32()}`).join('!')));
      return { hp2Sent: lines * 500 };
    },
  },
  {
    name: 'maker-commitment-list-load',
    attack: 'the maker starts with a commitment list far over its bound (a flooded or imported list)',
    durationMs: [3_000, 3_000],
    async prepare(file, quick) {
      const n = quick ? 200_000 : 1_000_000;
      const out = createWriteStream(file, { mode: 0o600 });
      for (let i = 0; i < n; i += 1_000) {
        const ok = out.write(`${Array.from({ length: 1_000 }, hex32).join('\n')}\n`);
        if (!ok) await new Promise((r) => out.once('drain', r));
      }
      await new Promise<void>((r) => out.end(r));
      return { listLines: n, listMB: statSync(file).size / 1e6 };
    },
    async flood(f) {
      await sleep(f.durationMs);
      return {};
    },
  },
  {
    name: 'maker-oversize-line',
    attack: 'a directory the maker uses sends it a 45,000-byte line every 3 s, each followed by an !orderbook from a fresh nick',
    durationMs: [40_000, 9_000],
    hostile: true,
    async flood(f) {
      const h = f.hostile!;
      let asked = 0;
      let answered = 0;
      await ticker(f.durationMs, 3_000, () => {
        h.raw(`{"type": ${MsgType.PUBMSG}, "line": "J5oversizeAAAAAA!PUBLIC!${'x'.repeat(45_000)}"}\r\n`);
        const taker = NickIdentity.random().nick;
        asked++;
        const got = h.privmsgTo(f.maker.nick, taker, 5_000);
        h.send(MsgType.PUBMSG, `${taker}!PUBLIC!orderbook`);
        void got.then((l) => { if (l !== null) answered++; });
      });
      await sleep(5_000);
      return { oversizeLines: asked, hostileOrderbookAnswered: `${answered}/${asked}`, hostileReconnects: h.connections - 1, hostilePass: answered === asked && h.connections === 1 };
    },
  },
  {
    name: 'maker-fill-flood',
    attack: '200 nicks (quick: 120) each send a valid !fill (never followed by !auth) and a malformed one every 10 s: 40 fills/s (quick: 24)',
    durationMs: [30_000, 8_000],
    async flood(f) {
      const peers = await crowd(f, f.durationMs > 10_000 ? 200 : 120);
      const bad = { oid: f.maker.offer.oid, minsize: 1 };
      const every = 10_000 / peers.length;
      const ticks = await ticker(f.durationMs, every, (i) => {
        const p = peers[i % peers.length]!;
        p.priv(f.maker.nick, 'fill', fillArgs(f.maker.offer));
        p.priv(f.maker.nick, 'fill', fillArgs(bad)); // amount out of range
      });
      return { fillsSent: ticks * 2, fillsPerSec: Math.round((ticks * 2) / (f.durationMs / 1000)) };
    },
  },
  {
    name: 'maker-orderbook-flood',
    attack: '200 nicks each send !orderbook at the DN\'s per-nick limit (6 at once, then one per 10 s); past its private budget the maker answers with a public announcement, which counts: every taker reads public offers into its book',
    durationMs: [30_000, 8_000],
    async flood(f) {
      const peers = await crowd(f, 200);
      let sent = 0;
      for (const p of peers) for (let i = 0; i < 6; i++, sent++) p.pub('orderbook');
      await ticker(f.durationMs, 10_000 / peers.length, (i) => {
        peers[i % peers.length]!.pub('orderbook');
        sent++;
      });
      return { orderbookSent: sent };
    },
  },
  {
    name: 'maker-big-pubmsgs',
    attack: '4 nicks each send 10 distinct 39 KB pubmsgs a second (the DN\'s per-nick rate; kept under its 1 MB slow-reader queue)',
    durationMs: [45_000, 10_000],
    async flood(f) {
      const peers = await crowd(f, 4, true);
      const filler = 'x'.repeat(38_900);
      const sent = await ticker(f.durationMs, 1_000 / (10 * peers.length), (i) => peers[i % peers.length]!.pub(`hello ${hex32()} ${filler}`));
      return { bigPubmsgs: sent, bigMB: Math.round((sent * 39_000) / 1e6) };
    },
  },
  {
    name: 'maker-direct-slots',
    attack: '40 connections to the maker\'s direct port send one byte every 5 s and never handshake, while 50 more connect and hang up each second',
    durationMs: [30_000, 8_000],
    async flood(f) {
      const port = f.maker.servePort;
      const slow = (await Promise.all(Array.from({ length: 40 }, () => slowSocket(port)))).filter((s): s is net.Socket => s !== null);
      f.closers.push(() => slow.forEach((s) => s.destroy()));
      let storm = 0;
      const drip = setInterval(() => slow.forEach((s) => !s.destroyed && s.write('{')), 5_000);
      await ticker(f.durationMs, 100, () => {
        for (let i = 0; i < 5; i++) void slowSocket(port).then((s) => { if (s) { storm++; s.destroy(); } });
      });
      clearInterval(drip);
      return { slowOpenAtEnd: slow.filter((s) => !s.destroyed).length, stormConnects: storm };
    },
    async extraHonest(f) {
      const t = await honestFill(f.maker.servePort, f.maker, true);
      return { ok: t !== null, detail: `direct !fill → !pubkey ${ms(t)}` };
    },
  },
  {
    name: 'maker-signature-flood',
    attack: '10 connections (quick: 3) each spend a fresh connection\'s DN privmsg allowance at once, then its refill: `!error` privmsgs under their own nick and key with a signature over other text (6,000 + 90/s each)',
    durationMs: [20_000, 8_000],
    async flood(f) {
      const peers = await crowd(f, f.durationMs > 10_000 ? 10 : 3, true);
      let sent = 0;
      for (const p of peers) for (let i = 0; i < 6_000; i++, sent++) p.forgedPriv(f.maker.nick, 'error', hex32().slice(0, 16));
      await ticker(f.durationMs, 100, () => {
        for (const p of peers) for (let i = 0; i < 9; i++, sent++) p.forgedPriv(f.maker.nick, 'error', hex32().slice(0, 16));
      });
      return { forgedSent: sent };
    },
  },
  {
    name: 'maker-fresh-orderbook-flood',
    attack: '600 fresh nicks (quick: 300), one connection each, at the DN\'s per-connection !orderbook limit (6 at once, then one per 10 s); an honest !orderbook answered by the maker\'s public announcement counts (ours, REF and NG takers read public offers into their books; it carries no !tbond)',
    durationMs: [30_000, 8_000],
    async flood(f) {
      const nicks = f.durationMs > 10_000 ? 600 : 300;
      return { orderbookSent: await freshNickFlood(f, nicks, 6, 10_000, (p) => p.pub('orderbook')), nicks };
    },
  },
  {
    name: 'maker-fresh-fill-flood',
    attack: '1,000 fresh nicks (quick: 300), one connection each, send valid-looking !fill (random commitment, never !auth): 3 at once (the per-nick allowance), then one per 5 s each',
    durationMs: [30_000, 8_000],
    async flood(f) {
      const nicks = f.durationMs > 10_000 ? 1_000 : 300;
      return { fillsSent: await freshNickFlood(f, nicks, 3, 5_000, (p) => p.priv(f.maker.nick, 'fill', fillArgs(f.maker.offer))), nicks };
    },
  },
  {
    name: 'maker-direct-slot-holders',
    attack: '40 connections to the maker\'s direct port (all from 127.0.0.1, as over Tor) handshake and send a signed privmsg every 10 s; closed ones reconnect',
    durationMs: [30_000, 12_000],
    async flood(f) {
      const port = f.maker.servePort;
      const holders: Peer[] = [];
      let reconnects = 0;
      f.closers.push(() => holders.forEach((p) => p.close()));
      const hold = async (): Promise<void> => {
        const p = await Peer.direct(port);
        holders.push(p);
        void p.closed.then(() => {
          const i = holders.indexOf(p);
          if (i >= 0) holders.splice(i, 1);
          reconnects++;
        });
      };
      await Promise.all(Array.from({ length: 40 }, hold));
      await ticker(f.durationMs, 10_000, () => {
        for (const p of holders) p.priv(f.maker.nick, 'error', 'still here');
        for (let i = holders.length; i < 40; i++) void hold().catch(() => undefined);
      });
      return { holdersAtEnd: holders.length, holderReconnects: reconnects };
    },
    async extraHonest(f) {
      const fill = await honestFill(f.maker.servePort, f.maker, true);
      const probe = await Peer.direct(f.maker.servePort);
      try {
        const t0 = performance.now();
        const offer = probe.offer(f.maker.nick, 5_000);
        probe.pub('orderbook'); // a directory proving our location asks this way
        const answered = (await offer) !== null ? performance.now() - t0 : null;
        return { ok: fill !== null && answered !== null, detail: `direct !fill → !pubkey ${ms(fill)}; direct !orderbook (a directory's probe) ${ms(answered)}` };
      } finally {
        probe.close();
      }
    },
  },
];

// ------------------------------------------------------------------ one scenario

async function runScenario(env: Env, s: Scenario, baselineRss: number): Promise<AttackRow> {
  const { ctx } = env;
  const durationMs = s.durationMs[ctx.quick ? 1 : 0];
  const dir = mkdtempSync(join(ctx.tmpDir, `${s.name}-`));
  const commitments = join(dir, 'commitmentlist');
  const prepared = s.prepare ? await s.prepare(commitments, ctx.quick) : {};
  const hostile = s.hostile ? await new HostileDirectory().start() : null;
  const directories = [`127.0.0.1:${env.dnPort}`, ...(hostile ? [`127.0.0.1:${hostile.port}`] : [])];
  let maker: MakerChild | null = null;
  const closers: Array<() => void> = [];
  try {
    const tStart = performance.now();
    maker = await startMaker(ctx.root, env.node, { wallet: env.wallet, directories, commitments });
    const startMs = performance.now() - tStart;
    const sampler = new ProcSampler(maker.pid).start();
    await sampler.settled(performance.now(), 0.05, 30_000);
    const rssBefore = sampler.rssMiB();
    sampler.peakMiB = rssBefore;
    const io0 = writeBytes(maker.pid);
    const log0 = maker.outputBytes();
    const cpu0 = sampler.cpuSeconds();
    ctx.log(`${s.name}: maker ${maker.nick} ready in ${Math.round(startMs)} ms, RSS ${rssBefore.toFixed(1)} MiB; flooding for ${durationMs / 1000} s`);

    const f: Flood = { maker, env, durationMs, hostile, closers };
    const t0 = performance.now();
    const at = (share: number): Promise<void> => sleep(Math.max(0, t0 + share * durationMs - performance.now()));
    const orderbookDuring = Promise.all([0.1, 0.3, 0.5, 0.7, 0.9].map(async (share) => {
      await at(share);
      return honestOrderbook(env.dnPort, maker!.nick);
    }));
    const fillDuring = at(0.5).then(() => honestFill(env.dnPort, maker!));
    const extraDuring = s.extraHonest ? at(0.6).then(() => s.extraHonest!(f)) : Promise.resolve(null);
    const figures = await s.flood(f);
    const floodEnd = performance.now();
    const [ob, fill, extra] = await Promise.all([orderbookDuring, fillDuring, extraDuring]);
    const cpuFlood = sampler.cpuSeconds() - cpu0;
    const settleMs = await sampler.settled(floodEnd);
    for (const c of closers.splice(0)) c();
    const obAfter = await honestOrderbook(env.dnPort, maker.nick);
    const fillAfter = await honestFill(env.dnPort, maker);
    sampler.stop();
    const rssAfter = sampler.rssMiB();
    const written = writeBytes(maker.pid) - io0;
    const logBytes = maker.outputBytes() - log0;
    const wallS = (performance.now() - t0) / 1000;
    const listBytes = existsSync(commitments) ? statSync(commitments).size : 0;

    const answered = ob.filter((v): v is OrderbookAnswer => v !== null).map((v) => v.ms);
    const publicly = ob.filter((v) => v?.how === 'public').length;
    const honestDuring = answered.length >= TARGET.orderbookDuring && fill !== null && (extra?.ok ?? true);
    const honestServed = honestDuring && obAfter !== null && fillAfter !== null;
    const growth = sampler.peakMiB - rssBefore;
    const loadGrowth = s.prepare ? rssBefore - baselineRss : null;
    const pass = honestServed && growth <= TARGET.rssGrowthMiB && settleMs !== null && settleMs <= TARGET.settleMs
      && written <= TARGET.writtenBytes && (loadGrowth === null || loadGrowth <= TARGET.rssGrowthMiB) && figures['hostilePass'] !== false;
    const honestDetail = [
      `!orderbook ${answered.length}/5 ≤5 s during (max ${ms(answered.length ? Math.max(...answered) : null)}${publicly > 0 ? `, ${publicly} by public announcement` : ''})`,
      `!fill → !pubkey ${ms(fill)} during`,
      ...(extra ? [extra.detail] : []),
      `after: !orderbook ${ms(obAfter?.ms ?? null)}, !fill ${ms(fillAfter)}`,
    ].join('; ');
    return {
      section: 'maker', name: s.name, attack: s.attack,
      outcome: pass ? 'bounded' : 'failed',
      reaction: `kept serving; CPU settled ${settleMs === null ? 'never (90 s)' : `${(settleMs / 1000).toFixed(1)} s`} after the flood, ${(written / 1e6).toFixed(2)} MB written`,
      reactionMs: null,
      rssBeforeMiB: round(rssBefore), rssPeakMiB: round(sampler.peakMiB), rssAfterMiB: round(rssAfter),
      honestServed, honestDetail,
      figures: {
        ...prepared, ...figures,
        makerStartMs: Math.round(startMs),
        honestOrderbookMaxMs: answered.length ? Math.round(Math.max(...answered)) : 'none', honestOrderbookPublic: publicly,
        ...(loadGrowth !== null ? { baselineRssMiB: round(baselineRss), loadGrowthMiB: round(loadGrowth) } : {}),
        cpuSecondsFlood: round(cpuFlood), cpuShareFlood: Math.round((cpuFlood / (durationMs / 1000)) * 100) / 100, cpuSettleMs: settleMs === null ? 'never' : Math.round(settleMs),
        writtenBytes: written, commitmentListBytes: listBytes, logBytesPerSec: Math.round(logBytes / wallS),
      },
      pass,
    };
  } finally {
    for (const c of closers) c();
    await maker?.stop();
    await hostile?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (v: number): number => Math.round(v * 10) / 10;

// ------------------------------------------------------------------ the section

/** RSS of a freshly started maker with nothing to load, once it has settled. */
async function idleRss(env: Env): Promise<number> {
  const dir = mkdtempSync(join(env.ctx.tmpDir, 'baseline-'));
  const maker = await startMaker(env.ctx.root, env.node, { wallet: env.wallet, directories: [`127.0.0.1:${env.dnPort}`], commitments: join(dir, 'commitmentlist') });
  try {
    const sampler = new ProcSampler(maker.pid).start();
    await sampler.settled(performance.now(), 0.05, 30_000);
    sampler.stop();
    return sampler.rssMiB();
  } finally {
    await maker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const run: SectionRun = async (ctx) => {
  if (!findRegtestBinary()) {
    ctx.log('maker section skipped: no regtest node binary (apt-get install -y litecoind)');
    return [];
  }
  const maker = join(ctx.root, 'dist', 'src', 'cli', 'jm-maker.js');
  ensureBuilt(ctx.root, [maker], [maker], true, ctx.log);
  const node = await startRegtestNode();
  let dn: DnTarget | null = null;
  const rows: AttackRow[] = [];
  try {
    dn = await startRegtestDn(ctx.root);
    const wallet = join(ctx.tmpDir, 'maker.jmw');
    await fundedWallet(node, wallet, Wallet.create({ network: node.network, words: 12 }).getAddress(0, 0, 0).address);
    const env: Env = { ctx, node, dnPort: dn.port, wallet };
    const baseline = await idleRss(env);
    ctx.log(`baseline: an idle maker with an empty commitment list settles at ${baseline.toFixed(1)} MiB`);
    for (const s of SCENARIOS.filter((x) => !ctx.only || ctx.only.includes(x.name))) {
      const row = await runScenario(env, s, baseline);
      ctx.log(`${row.name}: ${row.pass ? 'pass' : 'FAIL'} — ${row.reaction}; ${row.honestDetail}`);
      rows.push(row);
    }
  } finally {
    await dn?.stop();
    await node.stop();
  }
  return rows;
};

// ------------------------------------------------------------------ standalone

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const tmp = mkdtempSync(join(tmpdir(), 'jm-attack-maker-'));
  const i = process.argv.indexOf('--only');
  const only = i > 0 ? (process.argv[i + 1] ?? '').split(',').map((n) => (n.startsWith('maker-') ? n : `maker-${n}`)) : null;
  const ctx: SectionContext = {
    root: findRoot(), quick: process.argv.includes('--quick'), tmpDir: tmp, log: (m) => process.stderr.write(`${m}\n`), ...(only ? { only } : {}),
  };
  try {
    const rows = await run(ctx);
    ctx.log(`load ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
    process.stdout.write(`${JSON.stringify(rows, null, 1)}\n`);
    process.exitCode = rows.every((r) => r.pass) ? 0 : 1;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
