/** The jm-directory command-line contract: ready line, handshake, SIGTERM → exit 0. */
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DnPeer } from '../../helpers/dn-peer.js';
import { REPO_ROOT, readHandshakeVariants } from '../../helpers/wire-fixtures.js';

const TSX = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const CLI = path.join(REPO_ROOT, 'src', 'cli', 'jm-directory.ts');
const ReadyLine = z.object({ msg: z.literal('ready'), listen: z.string(), port: z.number().int().positive(), nick: z.string() });

/** The reference's client handshake line, as captured. */
function referenceHandshake(): Buffer {
  const valid = readHandshakeVariants('handshake-variants-reference-dn.txt').find((v) => v.name === 'valid');
  if (!valid) throw new Error('fixture handshake-variants-reference-dn.txt has no "valid" variant');
  return valid.sent;
}

describe('jm-directory CLI', () => {
  it('starts, logs ready with the real port, accepts a reference handshake, exits 0 on SIGTERM', async () => {
    const child = spawn(TSX, [CLI, '--transport', 'tcp', '--listen', '127.0.0.1:0', '--network', 'testnet'], { stdio: ['ignore', 'pipe', 'pipe'] });
    // 'close': after the exit and the end of stdout, so every line has been read.
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const msgs: string[] = [];
    const ready = await new Promise<z.infer<typeof ReadyLine>>((resolve) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const o = JSON.parse(line) as { msg?: string };
        msgs.push(o.msg ?? '');
        const r = ReadyLine.safeParse(o);
        if (r.success) resolve(r.data);
      });
    });
    expect(ready.listen).toBe(`127.0.0.1:${ready.port}`);
    const peer = await DnPeer.connect(ready.port);
    peer.sendRaw(referenceHandshake());
    const env = await peer.nextEnvelope(10_000);
    expect(env.type).toBe(795);
    expect(JSON.parse(env.line)).toMatchObject({ accepted: true, nick: ready.nick, network: 'testnet' });

    child.kill('SIGTERM');
    await peer.closed; // the DN closed our connection while shutting down
    expect(await exited).toBe(0);
    // Logs are buffered: the lines written just before exit must still arrive.
    expect(msgs).toEqual(['nick authentication on', 'ready', 'connect', 'handshake accepted', 'shutting down', 'disconnect', 'stopped']);
  });

  it('a bad value gives one line naming the key and exit code 2', () => {
    const r = spawnSync(TSX, [CLI, '--transport', 'tcp', '--network', 'testnet', '--max-peers', 'lots'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(['jm-directory: invalid value for --max-peers: expected a whole number']);
  });
});
