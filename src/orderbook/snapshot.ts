/** Builds the v1 API documents from the book, the bond checks and the pool status. */
import type { DirectoryStatus } from '../client/directory-pool.js';
import type { NickAuthStatus } from '../client/nick-auth.js';
import type { OrderBook } from './book.js';
import type { BondVerifier } from './bonds.js';
import { bondWeights } from '../protocol/coinjoin/bond-weights.js';
import type { DirectoryHistorySummary } from './directory-history.js';
import {
  API_VERSION, checkOwnOutput, DirectoriesSchema, HealthSchema, OrderbookSchema,
  type ApiBond, type ApiDirectories, type ApiHealth, type ApiOffer, type ApiOrderbook,
} from './schema.js';
import { pickChances, sybilTable } from './selection.js';

export interface OrderbookInput {
  book: OrderBook;
  bonds: BondVerifier;
  network: string;
  ourNick: string;
  now: number;
  interestRate: number;
  exponent: number;
  allowance: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export const SYBIL_TARGET = 0.95;

export function buildOrderbook(i: OrderbookInput): ApiOrderbook {
  const makers = i.book.list().sort((a, b) => a.nick.localeCompare(b.nick));
  const evals = makers.filter((m) => m.bond).map((m) => ({ e: i.bonds.evaluation(m.nick, m.bond!.proofBase64), receivedAt: m.bond!.receivedAt }));
  // the taker's rule (protocol/coinjoin/bond-weights.ts), so the pick chances are the taker's
  const shares = bondWeights(evals.map(({ e }) => {
    const ok = e.status === 'verified' && e.txid !== null;
    return { nick: e.nick, outpoint: ok ? `${e.txid}:${e.vout}` : null, value: ok ? e.value ?? 0 : 0, certExpiry: e.certExpiry ?? 0 };
  }));
  const dup = new Map([...shares].flatMap(([nick, w]) => (w.duplicateOf ? [[nick, w.duplicateOf] as const] : [])));
  const evalByNick = new Map(evals.map(({ e }) => [e.nick, e]));
  const weights = new Map<string, number>();
  for (const m of makers) if (m.offers.size > 0) weights.set(m.nick, shares.get(m.nick)?.weight ?? 0);
  const chances = pickChances(weights, i.allowance);

  const offers: ApiOffer[] = [];
  for (const m of makers) {
    const e = evalByNick.get(m.nick);
    const bondStatus = !e ? 'none' : dup.has(m.nick) ? 'invalid' : e.status;
    for (const row of [...m.offers.values()].sort((a, b) => a.offer.oid - b.offer.oid)) {
      const o = row.offer;
      offers.push({
        nick: m.nick, oid: o.oid, type: o.type, kind: o.kind, minsize: o.minsize, maxsize: o.maxsize, txfee: o.txfee,
        cjfee: String(o.cjfee), source: row.source, bondStatus,
        bondValue: bondStatus === 'verified' ? (e?.value ?? null) : null,
        pickChance: chances.get(m.nick) ?? 0, directories: [...row.dns].sort(),
        firstSeen: iso(row.firstSeen), lastSeen: iso(row.lastSeen),
      });
    }
  }

  const bonds: ApiBond[] = evals.map(({ e, receivedAt }) => ({
    nick: e.nick, status: e.status, reason: e.reason, txid: e.txid, vout: e.vout, locktime: e.locktime, certExpiry: e.certExpiry,
    utxoPub: e.utxoPub, amountSat: e.amountSat, confirmTime: e.confirmTime, value: e.value, duplicateOf: dup.get(e.nick) ?? null,
    receivedAt: iso(receivedAt),
  }));
  bonds.sort((a, b) => (b.value ?? -1) - (a.value ?? -1) || a.nick.localeCompare(b.nick));

  let honest = 0;
  let bonded = 0;
  for (const w of weights.values()) if (w > 0) {
    honest += w;
    bonded++;
  }
  const tip = i.bonds.tip;
  const sybil = honest > 0
    ? { honestWeight: honest, bondedMakers: bonded, targetSuccess: SYBIL_TARGET, rows: sybilTable(honest, i.interestRate, i.exponent, SYBIL_TARGET),
        note: 'Coins an attacker must lock (or burn) in total, split over N sybil makers, so that a taker choosing N makers among bonded ones picks only sybils with 95% probability. Ignores the bondless allowance.' }
    : { honestWeight: null, bondedMakers: 0, targetSuccess: SYBIL_TARGET, rows: [],
        note: i.bonds.hasChain ? 'No verified bonds yet.' : 'Bond values need Bitcoin Core RPC (--rpc-url); bonds are shown unverified.' };

  return checkOwnOutput(OrderbookSchema, {
    apiVersion: API_VERSION, generatedAt: iso(i.now), network: i.network, ourNick: i.ourNick,
    chain: { rpc: i.bonds.hasChain, height: tip?.height ?? null, medianTime: tip?.medianTime ?? null, error: i.bonds.chainError },
    makers: makers.filter((m) => m.offers.size > 0).length, offers, bonds, sybil,
  }, '/api/v1/orderbook');
}

/** One word or phrase for the nick-auth column: the page, the script and the terminal show it as is. */
export function nickAuthLabel(a: NickAuthStatus): string {
  if (a.verified) return 'verified';
  if (a.error !== null) return `failed: ${a.error}`;
  if (a.offered === null) return '—';
  return a.offered ? 'offered, not verified' : 'not offered';
}

export function buildDirectories(status: DirectoryStatus[], book: OrderBook, now: number, history?: (dn: string) => DirectoryHistorySummary): ApiDirectories {
  const makers = book.list();
  return checkOwnOutput(DirectoriesSchema, {
    apiVersion: API_VERSION,
    generatedAt: iso(now),
    directories: status.map((s) => ({
      ...s,
      connectedSince: s.connectedSince === null ? null : iso(s.connectedSince),
      makersSeen: makers.filter((m) => m.everSeen.has(s.id)).length,
      nickAuth: { ...s.nickAuth, label: nickAuthLabel(s.nickAuth) },
      history: history ? history(s.id) : null,
    })),
  }, '/api/v1/directories');
}

export function buildHealth(status: DirectoryStatus[], book: OrderBook, bondProofsDropped = 0): ApiHealth {
  const connected = status.filter((s) => s.connected).length;
  return checkOwnOutput(HealthSchema, {
    status: connected === 0 ? 'down' : connected < status.length ? 'degraded' : 'ok',
    connectedDirectories: connected,
    totalDirectories: status.length,
    makers: book.list().filter((m) => m.offers.size > 0).length,
    offers: book.offerCount(),
    book: {
      nicks: book.nickCount, ...book.limits,
      rejectedOffers: book.counters.rejected, skippedOffers: book.counters.skipped, perMakerEvictions: book.counters.perMakerEvictions,
      bookFullEvictions: book.counters.bookFullEvictions, nickEvictions: book.counters.nickEvictions, bondProofsDropped,
    },
  }, '/health');
}
