/** The attack runner's printed table, verdict lines and Markdown table (pure functions). */
import type { AttackRow } from '../types.js';
import { formatTable } from '../../lib/report.js';

const mib = (v: number): string => (Number.isFinite(v) ? v.toFixed(0) : '—');

export function clipText(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

function cells(r: AttackRow, reactionWidth: number): string[] {
  return [
    `${r.section}/${r.name}`, r.outcome, clipText(r.reaction, reactionWidth),
    `${mib(r.rssBeforeMiB)} / ${mib(r.rssPeakMiB)} / ${mib(r.rssAfterMiB)}`,
    r.honestServed ? 'yes' : 'NO', r.pass ? 'PASS' : 'FAIL',
  ];
}

const HEADER = ['attack', 'outcome', 'what the target did', 'RSS MiB before/peak/after', 'honest served', 'verdict'];

export function formatRows(rows: readonly AttackRow[], reactionWidth = 80): string {
  return formatTable(HEADER, rows.map((r) => cells(r, reactionWidth)));
}

/** Every row in full: what the attacker did, what happened, the honest peers' figures. */
export function formatDetails(rows: readonly AttackRow[]): string {
  return rows.map((r) => {
    const figs = Object.entries(r.figures).map(([k, v]) => `${k}=${typeof v === 'number' ? +v.toFixed(2) : v}`).join(' ');
    return `${r.pass ? 'PASS' : 'FAIL'} ${r.section}/${r.name}: ${r.attack}\n     → ${r.outcome}: ${r.reaction}\n     honest: ${r.honestDetail}\n     ${figs}`;
  }).join('\n');
}

export function formatMarkdown(rows: readonly AttackRow[]): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const head = `| ${HEADER.join(' | ')} |\n|${HEADER.map(() => '---').join('|')}|`;
  return [head, ...rows.map((r) => `| ${cells(r, 1_000).map(esc).join(' | ')} |`)].join('\n');
}

export function summaryLine(rows: readonly AttackRow[]): string {
  const failed = rows.filter((r) => !r.pass);
  return failed.length === 0
    ? `All ${rows.length} rows PASS.`
    : `${rows.length - failed.length}/${rows.length} rows PASS; FAIL: ${failed.map((r) => `${r.section}/${r.name}`).join(', ')}`;
}
