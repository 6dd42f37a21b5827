/**
 * The attack runner's result rows (`npm run attack`). Every section (directory node, watcher,
 * maker) yields rows of this one shape, so the runner prints one table and writes one JSON file.
 */

/** What the target did about the attack. */
export type AttackOutcome =
  | 'refused' // never admitted (accepted:false, closed before the handshake, dropped at receipt)
  | 'cut' // admitted, then disconnected or shed
  | 'bounded' // kept serving the attacker, but its cost stayed inside the limit
  | 'held' // the attack had no effect to bound (e.g. spoofing refused by design)
  | 'failed'; // the target misbehaved: a defect

export interface AttackRow {
  section: 'directory' | 'watcher' | 'maker' | 'performance' | 'fuzz';
  /** Short stable name, e.g. "relay-line-growth". */
  name: string;
  /** One sentence: what the attacker did. */
  attack: string;
  outcome: AttackOutcome;
  /** What the target did, in words, e.g. "closed 200/200 after 10.0 s (line deadline)". */
  reaction: string;
  /** Time from the attack's start to the target's reaction, when there is one. */
  reactionMs: number | null;
  rssBeforeMiB: number;
  rssPeakMiB: number;
  rssAfterMiB: number;
  /** Honest peers: handshake + a pubmsg delivered within 2 s (or the section's own honest check). */
  honestServed: boolean;
  honestDetail: string;
  /** Section-specific figures (CPU seconds, bytes written, log bytes/s, latency percentiles...). */
  figures: Record<string, number | string | boolean>;
  /** The row's verdict against its target. */
  pass: boolean;
}

/** What the runner hands every section (`bench/attack/sections/<name>.ts` exports `run(ctx)`). */
export interface SectionContext {
  /** The package root (has package.json). */
  root: string;
  /** Short smoke mode: smaller counts and durations, same code paths. */
  quick: boolean;
  /** A fresh directory for this section's files (wallets, data dirs, logs); removed afterwards. */
  tmpDir: string;
  /** Progress line to stderr. */
  log(msg: string): void;
  /** When set (`--attack a,b`), run only the rows with these names. */
  only?: readonly string[];
}

export type SectionRun = (ctx: SectionContext) => Promise<AttackRow[]>;
