import { mkdtemp, readFile, rm, stat, writeFile, chmod, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ed25519 } from '@noble/curves/ed25519.js';
import { onionHostFromPubkey } from '../../../src/protocol/onion.js';
import { loadOnionKey, onionFromPrivateKey, saveOnionKey } from '../../../src/transport/tor/onion-key-file.js';
import { readHiddenServiceHostname } from '../../../src/transport/tor/hidden-service-dir.js';
import { parseControlTarget } from '../../../src/transport/tor/control-target.js';
import { TorSetupError } from '../../../src/transport/tor/errors.js';

let tmp = '';
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'jm-onion-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

/** A key in tor's format (expanded secret: SHA-512(seed) with the scalar half clamped) and its onion. */
function torStyleKey(seedByte: number): { privateKey: string; onion: string } {
  const seed = new Uint8Array(32).fill(seedByte);
  const { head, prefix } = ed25519.utils.getExtendedPublicKey(seed);
  const onion = onionHostFromPubkey(ed25519.getPublicKey(seed));
  return { privateKey: `ED25519-V3:${Buffer.concat([head, prefix]).toString('base64')}`, onion };
}

describe('onion key file', () => {
  it('derives the onion from the private key like tor does', () => {
    const k = torStyleKey(1);
    expect(onionFromPrivateKey(k.privateKey)).toBe(k.onion);
  });

  it('saves with mode 0600 and loads back; missing file is undefined', async () => {
    const file = path.join(tmp, 'key.json');
    expect(await loadOnionKey(file)).toBeUndefined();
    const k = torStyleKey(2);
    await saveOnionKey(file, k);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await loadOnionKey(file)).toEqual(k);
  });

  it('refuses group/world-readable, malformed and inconsistent files', async () => {
    const file = path.join(tmp, 'key2.json');
    await saveOnionKey(file, torStyleKey(3));
    await chmod(file, 0o644);
    await expect(loadOnionKey(file)).rejects.toThrow(/readable by others.*chmod 600/);
    await chmod(file, 0o600);
    const json = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...json, onion: torStyleKey(4).onion }));
    await expect(loadOnionKey(file)).rejects.toThrow(/key yields .* not the recorded/);
    await writeFile(file, '{"version":1');
    await expect(loadOnionKey(file)).rejects.toThrow(/not valid JSON/);
    await writeFile(file, JSON.stringify({ ...json, privateKey: 'RSA1024:abc' }));
    await expect(loadOnionKey(file)).rejects.toBeInstanceOf(TorSetupError);
  });
});

describe('HiddenServiceDir hostname', () => {
  it('accepts a checksum-valid address and rejects a corrupted one', async () => {
    const dir = path.join(tmp, 'hs');
    await mkdir(dir);
    const { onion } = torStyleKey(5);
    await writeFile(path.join(dir, 'hostname'), `${onion}\n`);
    expect(await readHiddenServiceHostname(dir)).toBe(onion);
    const bad = (onion[0] === 'a' ? 'b' : 'a') + onion.slice(1);
    await writeFile(path.join(dir, 'hostname'), `${bad}\n`);
    await expect(readHiddenServiceHostname(dir)).rejects.toThrow(/does not hold a valid v3 onion/);
    await expect(readHiddenServiceHostname(path.join(tmp, 'nope'))).rejects.toThrow(/ENOENT.*HiddenServiceDir/);
  });
});

describe('parseControlTarget', () => {
  it('parses host:port, [v6]:port and unix:path; rejects junk', () => {
    expect(parseControlTarget('127.0.0.1:9051')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 9051 });
    expect(parseControlTarget('[::1]:9051')).toEqual({ kind: 'tcp', host: '::1', port: 9051 });
    expect(parseControlTarget('unix:/run/tor/control')).toEqual({ kind: 'unix', path: '/run/tor/control' });
    for (const bad of ['localhost', '127.0.0.1:0', '127.0.0.1:70000', 'unix:', ':9051']) {
      expect(() => parseControlTarget(bad)).toThrow(TorSetupError);
    }
  });
});
