import { describe, expect, it } from 'vitest';
import { CrossDirectoryDedup } from '../../../src/client/dedup.js';

describe('CrossDirectoryDedup', () => {
  it('tells copies of long lines apart by content (kept as a hash, not the 40 KB line)', () => {
    const d = new CrossDirectoryDedup();
    const big = `687 J5x!PUBLIC!${'x'.repeat(39_000)}`;
    const other = `${big.slice(0, -1)}y`;
    expect(d.accept(big, 'dn1', 0)).toBe(true);
    expect(d.accept(big, 'dn2', 1)).toBe(false); // a copy through another directory
    expect(d.accept(other, 'dn2', 2)).toBe(true); // one byte differs: a new line
    expect(d.accept('687 short', 'dn1', 3)).toBe(true);
    expect(d.accept('687 short', 'dn2', 4)).toBe(false);
  });
});
