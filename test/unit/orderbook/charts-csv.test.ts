import { describe, expect, it } from 'vitest';
import { bondChart, liquidityChart, liquiditySteps, MAX_BOND_BARS } from '../../../src/orderbook/charts.js';
import { csvField, offersCsv } from '../../../src/orderbook/csv.js';
import type { ApiBond, ApiOffer, ApiOrderbook } from '../../../src/orderbook/schema.js';

const nick = (c: string): string => `J5${c.repeat(14)}`;
const offer = (n: string, kind: 'rel' | 'abs', cjfee: string, maxsize: number, oid = 0): ApiOffer => ({
  nick: nick(n), oid, type: kind === 'rel' ? 'sw0reloffer' : 'sw0absoffer', kind, minsize: 27_300, maxsize, txfee: 0, cjfee, source: 'public',
  bondStatus: 'none', bondValue: null, pickChance: 0.1, directories: ['a.onion:5222'], firstSeen: '2026-01-01T00:00:00.000Z', lastSeen: '2026-01-01T00:00:00.000Z',
});
const bond = (n: string, value: number | null, status: ApiBond['status'] = 'verified', duplicateOf: string | null = null): ApiBond => ({
  nick: nick(n), status, reason: null, txid: 'ab'.repeat(32), vout: 0, locktime: 1_800_000_000, certExpiry: 1, utxoPub: null, amountSat: 100_000_000,
  confirmTime: 1, value, duplicateOf, receivedAt: '2026-01-01T00:00:00.000Z',
});

describe('liquidity by fee', () => {
  it('accumulates each maker once, with its largest offer at or below each fee level', () => {
    const steps = liquiditySteps([
      offer('a', 'rel', '0.0003', 5_000_000),
      offer('b', 'rel', '0.0001', 2_000_000),
      offer('a', 'rel', '0.0001', 1_000_000, 1), // a second, smaller offer of maker a, cheaper
      offer('c', 'rel', '0.0002', 3_000_000),
      offer('d', 'abs', '250', 9_000_000), // the other kind: not in this chart
    ], 'rel');
    expect(steps).toEqual([
      { fee: 0.0001, cjfee: '0.0001', liquiditySat: 3_000_000, makers: 2, offers: 2 },
      { fee: 0.0002, cjfee: '0.0002', liquiditySat: 6_000_000, makers: 3, offers: 3 },
      // a's larger offer replaces its smaller one: +4,000,000, not +5,000,000
      { fee: 0.0003, cjfee: '0.0003', liquiditySat: 10_000_000, makers: 3, offers: 4 },
    ]);
    expect(liquiditySteps([], 'abs')).toEqual([]);
  });

  it('draws one mark per fee level with the numbers in its title, in the chosen unit', () => {
    const offers = [offer('a', 'abs', '250', 5_000_000), offer('b', 'abs', '1000', 20_000_000)];
    const btc = liquidityChart(offers, 'abs', 'btc');
    expect(btc.match(/<g class="step">/g)).toHaveLength(2);
    expect(btc).toContain('<title>fee up to 0.00000250 BTC: 0.05000000 BTC from 1 maker (1 offer)</title>');
    expect(btc).toContain('<title>fee up to 0.00001000 BTC: 0.25000000 BTC from 2 makers (2 offers)</title>');
    expect(liquidityChart(offers, 'abs', 'sat')).toContain('<title>fee up to 1,000 sat: 25,000,000 sat from 2 makers (2 offers)</title>');
    expect(liquidityChart(offers, 'rel', 'btc')).toContain('No relative-fee offers.');
  });
});

describe('bond chart', () => {
  it('bars for verified, non-duplicate bonds, largest first, as a share of all bond value', () => {
    const html = bondChart([bond('b', 1e8), bond('a', 3e8), bond('c', null, 'unverified'), bond('d', 5e8, 'verified', nick('a'))], 'btc');
    expect([...html.matchAll(/<li data-nick="(J5\w+)">/g)].map((m) => m[1])).toEqual([nick('a'), nick('b')]);
    expect(html).toContain(`<title>${nick('a')}: bond value 3.000 × 10⁸ (75.0 % of all), 1.00000000 BTC locked until 2027-01-15</title>`);
    expect(html).toContain('2 bonds without a value (unverified, invalid or duplicate) not drawn.');
  });

  it('sums up the bonds past the bars drawn', () => {
    const many = Array.from({ length: MAX_BOND_BARS + 5 }, (_, i) => ({ ...bond('a', 1e8), nick: `J5${String(i).padStart(2, 'x')}${'z'.repeat(12)}` }));
    const html = bondChart(many, 'sat');
    expect(html.match(/<li /g)).toHaveLength(MAX_BOND_BARS);
    expect(html).toContain('…and 5 smaller bonds, 16.7 % of all bond value.');
  });
});

describe('offers CSV', () => {
  it('quotes, doubles quotes and defuses formulas', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('-1')).toBe("'-1");
    expect(csvField(null)).toBe('');
  });

  it('one row per offer, amounts in satoshis, CRLF', () => {
    const ob = { offers: [offer('a', 'rel', '0.0003', 5_000_000)] } as unknown as ApiOrderbook;
    expect(offersCsv(ob)).toBe('nick,oid,type,minsize_sat,maxsize_sat,txfee_sat,cjfee,bond_status,bond_value,pick_chance,directories,first_seen,last_seen\r\n'
      + `${nick('a')},0,sw0reloffer,27300,5000000,0,0.0003,none,,0.1,a.onion:5222,2026-01-01T00:00:00.000Z,2026-01-01T00:00:00.000Z\r\n`);
  });
});
