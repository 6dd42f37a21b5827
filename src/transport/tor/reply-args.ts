/** Splits a control reply line into positional words and KEY=VALUE pairs (values may be QuotedStrings). */

export interface ReplyArgs {
  positional: string[];
  keywords: Map<string, string>;
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"', "'": "'" };

/** Reads a QuotedString starting at s[i] === '"'; returns the value and the index after the closing quote. */
function readQuoted(s: string, i: number): [string, number] {
  let out = '';
  let j = i + 1;
  while (j < s.length) {
    const c = s[j] as string;
    if (c === '"') return [out, j + 1];
    if (c === '\\' && j + 1 < s.length) {
      const n = s[j + 1] as string;
      const oct = /^[0-7]{1,3}/.exec(s.slice(j + 1, j + 4));
      if (oct) {
        out += String.fromCharCode(parseInt(oct[0], 8));
        j += 1 + oct[0].length;
        continue;
      }
      out += ESCAPES[n] ?? n;
      j += 2;
      continue;
    }
    out += c;
    j += 1;
  }
  throw new Error('unterminated quoted string');
}

/** Throws Error on an unterminated quoted string (callers wrap it into their own error). */
export function parseReplyArgs(text: string): ReplyArgs {
  const positional: string[] = [];
  const keywords = new Map<string, string>();
  let i = 0;
  while (i < text.length) {
    while (text[i] === ' ') i++;
    if (i >= text.length) break;
    if (text[i] === '"') {
      const [v, next] = readQuoted(text, i);
      positional.push(v);
      i = next;
      continue;
    }
    let j = i;
    while (j < text.length && text[j] !== ' ' && text[j] !== '=' && text[j] !== '"') j++;
    const word = text.slice(i, j);
    if (text[j] === '=') {
      if (text[j + 1] === '"') {
        const [v, next] = readQuoted(text, j + 1);
        keywords.set(word, v);
        i = next;
      } else {
        let k = j + 1;
        while (k < text.length && text[k] !== ' ') k++;
        keywords.set(word, text.slice(j + 1, k));
        i = k;
      }
    } else {
      positional.push(word);
      i = j;
    }
  }
  return { positional, keywords };
}

/** Encodes a string as a control-spec QuotedString. */
export function quoteString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
