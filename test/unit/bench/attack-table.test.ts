import { describe, expect, it } from 'vitest';
import type { AttackRow } from '../../../bench/attack/types.js';
import { clipText, formatMarkdown, formatRows, summaryLine } from '../../../bench/attack/lib/table.js';

const row = (name: string, pass: boolean, reaction = 'closed 3/3 after 0.10 s'): AttackRow => ({
  section: 'directory', name, attack: 'an attack', outcome: pass ? 'cut' : 'failed', reaction, reactionMs: 100,
  rssBeforeMiB: 80.4, rssPeakMiB: 95.6, rssAfterMiB: Number.NaN, honestServed: pass, honestDetail: '', figures: {}, pass,
});

describe('attack runner table', () => {
  it('prints one line per row with RSS, honest and verdict columns', () => {
    const t = formatRows([row('churn', true), row('drip', false, 'x'.repeat(200))], 40).split('\n');
    expect(t).toHaveLength(4);
    expect(t[2]).toMatch(/directory\/churn +\| +cut \|.*80 \/ 96 \/ — \| +yes \| +PASS$/);
    expect(t[3]).toMatch(/failed \| x{39}… \|.*NO \| +FAIL$/);
  });

  it('escapes pipes in Markdown and keeps the reaction whole', () => {
    const md = formatMarkdown([row('a', true, 'p | q')]);
    expect(md.split('\n')[2]).toBe('| directory/a | cut | p \\| q | 80 / 96 / — | yes | PASS |');
  });

  it('summarises the verdicts', () => {
    expect(summaryLine([row('a', true)])).toBe('All 1 rows PASS.');
    expect(summaryLine([row('a', true), row('b', false)])).toBe('1/2 rows PASS; FAIL: directory/b');
    expect(clipText('abcdef', 4)).toBe('abc…');
  });
});
