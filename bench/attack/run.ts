/**
 * The attack runner (`npm run attack`): throws every known attack at our directory node and
 * orderbook watcher, each running as its own child process, and prints what the target did,
 * its memory, and whether honest peers were still served. Writes JSON to bench/results/.
 *
 *   npm run attack                       # full run (about 10–12 min)
 *   npm run attack -- --quick            # smoke run (about 3.5 min): smaller counts, same code paths
 *   npm run attack -- --section directory,watcher --attack churn,orderbook-flood
 *   npm run attack -- --help
 *
 * Sections live in bench/attack/sections/<name>.ts and export `run(ctx)` (bench/attack/types.ts).
 * Everything listens on and connects to 127.0.0.1 only.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { z } from 'zod';
import { ensureBuilt, findRoot } from '../lib/child.js';
import { machineLoad } from '../lib/proc.js';
import type { AttackRow, SectionContext, SectionRun } from './types.js';
import { formatDetails, formatMarkdown, formatRows, summaryLine } from './lib/table.js';

/** Known sections, in running order. A missing module is reported, not fatal. */
export const SECTIONS = ['directory', 'watcher', 'maker', 'fuzz', 'performance'] as const;
type SectionName = (typeof SECTIONS)[number];

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = findRoot();
const RESULTS = join(ROOT, 'bench', 'results');

const OptsSchema = z.object({
  quick: z.boolean().default(false),
  section: z.array(z.enum(SECTIONS)).default([...SECTIONS]),
  attack: z.array(z.string()).default([]),
  longFuzz: z.boolean().default(false),
  build: z.boolean().default(true),
  markdown: z.boolean().default(false),
  cpuProf: z.string().optional(),
  out: z.string().optional(),
});
type Opts = z.infer<typeof OptsSchema>;

const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);

function parseOpts(): Opts {
  const c = new Command()
    .name('attack')
    .description('Attack suite: our directory node and watcher under hostile peers, with figures')
    .option('--quick', 'smoke run: smaller counts and shorter windows, same attacks', false)
    .option('--section <list>', `comma-separated sections: ${SECTIONS.join(', ')}`, list)
    .option('--attack <list>', 'run only these attacks (row names, comma-separated)', list)
    .option('--long-fuzz', 'fuzz with >= 1,000,000 lines even with --quick (the full run always does)', false)
    .option('--no-build', 'do not rebuild dist/ even if stale')
    .option('--markdown', 'also print the table as Markdown (for docs/security.md)', false)
    .option('--cpu-prof <dir>', "the performance section's DN writes a V8 CPU profile (.cpuprofile) per run into this directory")
    .option('--out <file>', 'JSON output file (default bench/results/attack-<time>.json)')
    .parse(process.argv);
  const r = OptsSchema.safeParse(c.opts());
  if (!r.success) {
    process.stderr.write(`attack: ${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}\n`);
    process.exit(2);
  }
  return r.data;
}

const log = (msg: string): void => {
  process.stderr.write(`[attack ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

function sectionFile(name: SectionName): string | null {
  for (const ext of ['.ts', '.js']) {
    const f = join(HERE, 'sections', name + ext);
    if (existsSync(f)) return f;
  }
  return null;
}

interface SectionStatus {
  name: SectionName;
  status: 'ran' | 'missing' | 'error';
  seconds: number;
  error?: string;
}

async function runSection(name: SectionName, o: Opts): Promise<{ rows: AttackRow[]; status: SectionStatus }> {
  const file = sectionFile(name);
  if (!file) {
    log(`section ${name}: bench/attack/sections/${name}.ts is not there; skipped`);
    return { rows: [], status: { name, status: 'missing', seconds: 0 } };
  }
  const tmp = mkdtempSync(join(tmpdir(), `jm-attack-${name}-`));
  const t0 = performance.now();
  // The fuzz section's short mode is its smoke mode; --long-fuzz makes it long even in --quick.
  const quick = name === 'fuzz' ? o.quick && !o.longFuzz : o.quick;
  const ctx: SectionContext = { root: ROOT, quick, tmpDir: tmp, log: (m) => log(`${name}: ${m}`), ...(o.attack.length ? { only: o.attack } : {}) };
  try {
    const mod = (await import(pathToFileURL(file).href)) as { run?: SectionRun };
    if (typeof mod.run !== 'function') throw new Error(`${relative(ROOT, file)} does not export run(ctx)`);
    log(`section ${name} (${quick ? 'quick' : 'full'}) ...`);
    const rows = await mod.run(ctx);
    return { rows, status: { name, status: 'ran', seconds: (performance.now() - t0) / 1000 } };
  } catch (e) {
    const msg = e instanceof Error ? e.stack ?? e.message : String(e);
    log(`section ${name} failed: ${msg}`);
    return { rows: [], status: { name, status: 'error', seconds: (performance.now() - t0) / 1000, error: msg.split('\n')[0] } };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const o = parseOpts();
  const started = Date.now();
  const loadStart = machineLoad();
  const dist = (p: string): string => join(ROOT, 'dist', p);
  const needed = [dist('src/cli/jm-directory.js'), dist('src/cli/jm-orderbook.js'), dist('bench/attack/honest-agent.js'), dist('bench/loadgen.js')];
  ensureBuilt(ROOT, needed, needed, o.build, log);
  mkdirSync(RESULTS, { recursive: true });
  if (o.cpuProf) {
    mkdirSync(o.cpuProf, { recursive: true });
    process.env.JM_ATTACK_CPU_PROF = resolve(o.cpuProf);
  }
  const rows: AttackRow[] = [];
  const statuses: SectionStatus[] = [];
  process.on('SIGINT', () => process.exit(130));
  for (const name of SECTIONS) {
    if (!o.section.includes(name)) continue;
    const r = await runSection(name, o);
    rows.push(...r.rows);
    statuses.push(r.status);
  }
  const loadEnd = machineLoad();
  const elapsed = (Date.now() - started) / 1000;
  const header = `JoinMarket attack suite (${o.quick ? 'quick' : 'full'}), ${loadEnd.cores} cores, load avg ${loadStart.load1.toFixed(2)} → ${loadEnd.load1.toFixed(2)}, ${elapsed.toFixed(0)} s`;
  const notes = statuses.filter((s) => s.status !== 'ran').map((s) => `section ${s.name}: ${s.status === 'missing' ? 'not present (skipped)' : `ERROR ${s.error}`}`);
  const table = formatRows(rows);
  process.stdout.write(`\n${header}\n\n${table}\n\n${formatDetails(rows)}\n\n${[...notes, summaryLine(rows)].join('\n')}\n`);
  if (o.markdown) process.stdout.write(`\n${formatMarkdown(rows)}\n`);
  const out = o.out ?? join(RESULTS, `attack-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify({ version: 1, mode: o.quick ? 'quick' : 'full', date: new Date().toISOString(), node: process.version, machine: { loadStart, loadEnd }, options: o, elapsedSec: elapsed, sections: statuses, rows, table, markdown: formatMarkdown(rows) }, null, 2));
  process.stdout.write(`\nJSON: ${relative(process.cwd(), out)}\n`);
  process.exitCode = rows.every((r) => r.pass) && statuses.every((s) => s.status !== 'error') ? 0 : 1;
}

main().catch((e: unknown) => {
  process.stderr.write(`attack failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
