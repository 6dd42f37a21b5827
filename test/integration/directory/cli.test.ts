/** The jm-directory command-line contract: ready line, handshake, SIGTERM → exit 0. */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CliProcess, runCli, stopCliProcesses } from '../../helpers/cli-process.js';
import { DnPeer } from '../../helpers/dn-peer.js';
import { readHandshakeVariants } from '../../helpers/wire-fixtures.js';

const ReadyLine = z.object({ msg: z.literal('ready'), listen: z.string(), port: z.number().int().positive(), nick: z.string() });

/** The reference's client handshake line, as captured. */
function referenceHandshake(): Buffer {
  const valid = readHandshakeVariants('handshake-variants-reference-dn.txt').find((v) => v.name === 'valid');
  if (!valid) throw new Error('fixture handshake-variants-reference-dn.txt has no "valid" variant');
  return valid.sent;
}

afterEach(() => stopCliProcesses()); // also when a test failed

describe('jm-directory CLI', () => {
  it('starts, logs ready with the real port, accepts a reference handshake, exits 0 on SIGTERM', async () => {
    const dn = CliProcess.start('jm-directory', ['--transport', 'tcp', '--listen', '127.0.0.1:0', '--network', 'testnet']);
    const ready = ReadyLine.parse(await dn.jsonLine('stdout', (l) => l.msg === 'ready', 30_000, 'the ready line'));
    expect(ready.listen).toBe(`127.0.0.1:${ready.port}`);
    const peer = await DnPeer.connect(ready.port);
    peer.sendRaw(referenceHandshake());
    const env = await peer.nextEnvelope(10_000);
    expect(env.type).toBe(795);
    expect(JSON.parse(env.line)).toMatchObject({ accepted: true, nick: ready.nick, network: 'testnet' });

    dn.child.kill('SIGTERM');
    await peer.closed; // the DN closed our connection while shutting down
    expect(await dn.exited).toBe(0);
    // Logs are buffered: the lines written just before exit must still arrive.
    expect(dn.stdoutLines.map((l) => (JSON.parse(l) as { msg?: string }).msg ?? '')).toEqual(['nick authentication on', 'ready', 'connect', 'handshake accepted', 'shutting down', 'departure notice sent to every peer', 'disconnect', 'stopped']);
  });

  it('a bad value gives one line naming the key and exit code 2', async () => {
    const r = await runCli('jm-directory', ['--transport', 'tcp', '--network', 'testnet', '--max-peers', 'lots']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(['jm-directory: invalid value for --max-peers: expected a whole number']);
  });
});
