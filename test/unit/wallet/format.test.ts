// One display format for amounts and bond values: the commands, the page and its browser
// script all use src/wallet/format.ts (the script embeds the same source).
import { describe, expect, it } from 'vitest';
import { formatAmount, formatBondValue, formatBtc, formatSats } from '../../../src/wallet/format.js';
import { APP_JS } from '../../../src/orderbook/app-script.js';

describe('formatBtc', () => {
  it('8 decimals, grouped integer part, exact for bigint', () => {
    expect(formatBtc(0)).toBe('0.00000000 BTC');
    expect(formatBtc(27_300)).toBe('0.00027300 BTC');
    expect(formatBtc(123_456_789_012)).toBe('1,234.56789012 BTC');
    expect(formatBtc(2_100_000_000_000_000n)).toBe('21,000,000.00000000 BTC');
    expect(formatBtc(2_099_999_999_999_999n)).toBe('20,999,999.99999999 BTC');
    expect(formatBtc(-5n)).toBe('-0.00000005 BTC');
    expect(formatBtc(Number.POSITIVE_INFINITY)).toBe('∞ BTC');
  });
});

describe('formatSats and formatAmount', () => {
  it('grouped satoshis; the chosen unit', () => {
    expect(formatSats(0)).toBe('0 sat');
    expect(formatSats(27_300)).toBe('27,300 sat');
    expect(formatSats(2_100_000_000_000_000n)).toBe('2,100,000,000,000,000 sat');
    expect(formatSats(-5n)).toBe('-5 sat');
    expect(formatAmount(123_456_789, 'sat')).toBe('123,456,789 sat');
    expect(formatAmount(123_456_789, 'btc')).toBe('1.23456789 BTC');
  });
});

describe('formatBondValue', () => {
  it('mantissa × power of ten from 10⁶ up, grouped integers below', () => {
    expect(formatBondValue(null)).toBe('—');
    expect(formatBondValue(0)).toBe('0');
    expect(formatBondValue(123_456.7)).toBe('123,457');
    expect(formatBondValue(182_812_345)).toBe('1.828 × 10⁸');
    expect(formatBondValue(104_774_990_743.03195)).toBe('1.048 × 10¹¹');
  });
});

describe('the browser script', () => {
  it('formats no amount itself: it shows what the server rendered with these functions', () => {
    expect(APP_JS).not.toMatch(/BTC|toLocaleString|toExponential/);
    expect(() => new Function(APP_JS)).not.toThrow(); // parses as a script
  });
});
