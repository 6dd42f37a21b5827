/**
 * Every unit in systemd/ passes `systemd-analyze verify` without a warning (unknown keys, bad
 * values and a missing executable are reported there). The units name /usr/bin/node; where
 * node lives elsewhere, the copy under test names this node instead.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/wire-fixtures.js';

const ANALYZE = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));
if (!ANALYZE && process.env.CI === 'true') throw new Error('systemd-analyze is required in CI (apt-get install systemd)');
if (!ANALYZE) console.warn('skipping the unit checks: systemd-analyze not installed (apt-get install systemd)');

const UNITS = readdirSync(path.join(REPO_ROOT, 'systemd')).filter((f) => f.endsWith('.service')).sort();
const dir = mkdtempSync(path.join(tmpdir(), 'jm-units-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function verify(file: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(ANALYZE!, ['verify', file], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

describe.skipIf(!ANALYZE)('systemd units', () => {
  it('ships the directory node, maker and watcher units', () => {
    expect(UNITS).toEqual(['jm-directory.service', 'jm-maker.service', 'jm-orderbook.service']);
  });

  it.each(UNITS)('%s passes systemd-analyze verify', async (unit) => {
    let text = readFileSync(path.join(REPO_ROOT, 'systemd', unit), 'utf8');
    if (!existsSync('/usr/bin/node')) text = text.replaceAll('/usr/bin/node ', `${process.execPath} `);
    const copy = path.join(dir, unit);
    writeFileSync(copy, text);
    const r = await verify(copy);
    expect(r, r.output).toEqual({ code: 0, output: '' });
  });

  it('the maker may read tor\'s control cookie, as the directory node does', () => {
    for (const unit of ['jm-directory.service', 'jm-maker.service']) {
      expect(readFileSync(path.join(REPO_ROOT, 'systemd', unit), 'utf8')).toMatch(/^SupplementaryGroups=debian-tor$/m);
    }
  });
});
