/**
 * A reader for joinmarket.cfg (Python ConfigParser syntax): [section], `key = value` or
 * `key: value`, full-line `#`/`;` comments, indented continuation lines. Keys are lowercased
 * as ConfigParser does. Inline comments after whitespace are stripped (lenient).
 */
import { ConfigError } from './errors.js';

export type IniSections = Map<string, Map<string, string>>;

function stripInline(v: string): string {
  const m = /\s[#;]/.exec(v);
  return (m ? v.slice(0, m.index) : v).trim();
}

export function parseIni(text: string, fileLabel = 'config file'): IniSections {
  const sections: IniSections = new Map();
  let cur: Map<string, string> | null = null;
  let lastKey: string | null = null;
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    if (/^\s/.test(raw) && cur && lastKey !== null) {
      cur.set(lastKey, `${cur.get(lastKey) ?? ''}\n${stripInline(trimmed)}`.trim());
      continue;
    }
    const sec = /^\[([^\]]+)\]\s*$/.exec(trimmed);
    if (sec) {
      const name = sec[1]!.trim();
      cur = sections.get(name) ?? new Map<string, string>();
      sections.set(name, cur);
      lastKey = null;
      continue;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(trimmed);
    if (!kv || !cur) throw new ConfigError(`${fileLabel} line ${n + 1}`, `cannot parse ${JSON.stringify(trimmed.slice(0, 80))}`);
    lastKey = kv[1]!.toLowerCase();
    cur.set(lastKey, stripInline(kv[2]!));
  }
  return sections;
}
