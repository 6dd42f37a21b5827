import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/logger.js';
import { ManagedTor } from '../../../src/transport/tor/managed-tor.js';

let tmp = '';
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'jm-mtor-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

/** A stand-in "tor" binary: a shell script printing the given log lines, then doing `tail`. */
async function fakeTor(name: string, body: string): Promise<string> {
  const file = path.join(tmp, name);
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, 0o755);
  return file;
}

describe('ManagedTor failures', () => {
  it('reports a stalled bootstrap with the last progress and warning', async () => {
    const bin = await fakeTor('stall', [
      'echo "Nov 21 10:00:00.000 [notice] Bootstrapped 5% (conn): Connecting to a relay"',
      'echo "Nov 21 10:00:01.000 [warn] Problem bootstrapping. Stuck at 5%: no route"',
      'exec sleep 60',
    ].join('\n'));
    const progress: number[] = [];
    const tor = new ManagedTor({ torBinary: bin, dataDir: path.join(tmp, 'd1'), stallTimeoutMs: 300, logger: silentLogger(), clock: systemClock });
    tor.on('bootstrap', (p) => progress.push(p));
    await expect(tor.start()).rejects.toThrow(/bootstrap stalled at 5% for 300 ms; last warning: Problem bootstrapping/);
    expect(progress).toEqual([5]);
    await tor.stop();
    expect(tor.running).toBe(false);
  });

  it('reports tor exiting during start-up with its last output', async () => {
    const bin = await fakeTor('dies', 'echo "[warn] Failed to parse/validate config: Unknown option"; exit 1');
    const tor = new ManagedTor({ torBinary: bin, dataDir: path.join(tmp, 'd2'), logger: silentLogger(), clock: systemClock });
    await expect(tor.start()).rejects.toThrow(/tor exited during start-up \(code 1\); last output:\n.*Unknown option/);
  });
});
