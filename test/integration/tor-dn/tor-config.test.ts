/**
 * The Tor options of jm-directory without a Tor network: resolution and conflicts, the 'auto'
 * choice (default control port, else managed tor, else the install hint), and the CLI's one-line
 * error for a stalled bootstrap (a fake tor that never logs progress).
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fromCli, resolveDirectoryConfig } from '../../../src/cli/config/directory-config.js';
import { defaultDataDir, resolveTorConfig, torFromCli, torFromEnv } from '../../../src/cli/config/tor-config.js';
import { chooseTorSource, type TorSourceDeps } from '../../../src/cli/config/tor-source.js';
import { DnProcess } from './dn-process.js';
import { stopCliProcesses } from '../../helpers/cli-process.js';

function tor(cli: Record<string, string>, env: Record<string, string> = {}) {
  const base = resolveDirectoryConfig(fromCli({ network: 'testnet', ...cli }));
  return resolveTorConfig(base, { HOME: '/srv/op', ...env }, torFromEnv(env), torFromCli(cli));
}
function err(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('Tor options', () => {
  it('defaults: auto mode, 127.0.0.1:0, key in the data dir, $STATE_DIRECTORY under systemd', () => {
    expect(tor({}, { STATE_DIRECTORY: '/var/lib/jm-directory' })).toMatchObject({
      mode: 'auto',
      listen: { host: '127.0.0.1', port: 0 },
      control: { kind: 'tcp', host: '127.0.0.1', port: 9051 },
      dataDir: '/var/lib/jm-directory',
      keyFile: '/var/lib/jm-directory/onion-key.json',
    });
    expect(defaultDataDir({}, '/srv/op')).toBe('/srv/op/.local/share/jm-directory');
    expect(defaultDataDir({ XDG_DATA_HOME: '/x' }, '/srv/op')).toBe('/x/jm-directory');
  });

  it('each mode and its options; env works like flags', () => {
    expect(tor({ torControl: 'unix:/run/tor/control', torCookieFile: '/run/tor/c', listen: '127.0.0.1:7000' })).toMatchObject({
      mode: 'control', control: { kind: 'unix', path: '/run/tor/control' }, auth: { cookieFile: '/run/tor/c' }, listen: { port: 7000 },
    });
    expect(tor({}, { JM_DIRECTORY_TOR_PASSWORD: 's3cret', JM_DIRECTORY_TOR_CONTROL: '127.0.0.1:9151' })).toMatchObject({
      mode: 'control', auth: { password: 's3cret' }, control: { port: 9151 },
    });
    expect(tor({ hiddenServiceDir: '/var/lib/tor/jm' })).toMatchObject({ mode: 'hidden-service-dir', listen: { port: 5222 } });
    expect(tor({ managedTor: 'true', torBootstrapTimeout: '30', torTorrcInclude: '/etc/jm/bridges.torrc' })).toMatchObject({
      mode: 'managed', stallTimeoutMs: 30_000, torrcInclude: '/etc/jm/bridges.torrc',
    });
  });

  it.each([
    [{ torControl: '127.0.0.1:9051', managedTor: 'true' }, 'invalid value for --managed-tor: conflicts with --tor-control: give one of --tor-control, --hidden-service-dir, --managed-tor'],
    [{ hiddenServiceDir: '/hs', onionKeyFile: '/k' }, 'invalid value for --onion-key-file: only with --tor-control or --managed-tor (tor holds the key in --hidden-service-dir)'],
    [{ hiddenServiceDir: '/hs', listen: '127.0.0.1:0' }, 'invalid value for --listen: with --hidden-service-dir give the port of HiddenServicePort in the torrc, not 0'],
    [{ managedTor: 'yes', torPassword: 'x' }, 'invalid value for --tor-password: only with --tor-control (a managed tor uses its own cookie)'],
    [{ torControl: '127.0.0.1:9051', torBinary: '/usr/sbin/tor' }, 'invalid value for --tor-binary: only with --managed-tor'],
    [{ transport: 'tcp', managedTor: 'true' }, 'invalid value for --managed-tor: only with --transport tor'],
    [{ publicLocation: 'x.onion:5222' }, 'invalid value for --public-location: not used with --transport tor: the DN advertises its own <onion>:5222'],
    [{ torControl: '9051' }, 'invalid value for --tor-control: expected HOST:PORT (e.g. 127.0.0.1:9051) or unix:PATH, got "9051"'],
    [{ managedTor: 'maybe' }, 'invalid value for --managed-tor: expected true or false'],
    [{ managedTor: 'true', torBootstrapTimeout: '0.5' }, 'invalid value for --tor-bootstrap-timeout: must be at least 1 s'],
  ])('bad combination %#', (cli, message) => {
    expect(err(() => tor(cli as Record<string, string>))).toBe(message);
  });

  it('a bad env value names the variable', () => {
    expect(err(() => tor({}, { JM_DIRECTORY_TOR_CONTROL: 'nope' }))).toMatch(/^invalid value for JM_DIRECTORY_TOR_CONTROL: expected HOST:PORT/);
  });
});

describe('auto mode', () => {
  const deps = (refused: string | null, torPath: string | null): TorSourceDeps => ({
    probeControl: async () => refused,
    findExecutable: () => torPath,
  });

  it('uses the default control port when something listens there', async () => {
    const r = await chooseTorSource(tor({}), deps(null, '/usr/bin/tor'));
    expect(r.source).toMatchObject({ kind: 'control', target: { host: '127.0.0.1', port: 9051 } });
    expect(r.description).toBe('tor control port 127.0.0.1:9051 (default)');
  });

  it('falls back to a managed tor in <data-dir>/managed-tor when tor is installed', async () => {
    const r = await chooseTorSource(tor({ dataDir: '/srv/dn' }), deps('ECONNREFUSED', '/usr/bin/tor'));
    expect(r.source).toEqual({ kind: 'managed', tor: { dataDir: '/srv/dn/managed-tor', socksPort: 'auto' } });
    expect(r.description).toBe('no tor control port at 127.0.0.1:9051 (ECONNREFUSED); starting a managed tor');
  });

  it('without tor: the apt-get command', async () => {
    await expect(chooseTorSource(tor({}), deps('ECONNREFUSED', null))).rejects.toThrow(
      'no tor control port at 127.0.0.1:9051 (ECONNREFUSED) and no tor binary "tor" to start: install it with `sudo apt-get install -y tor`',
    );
  });
});

describe('jm-directory --managed-tor failures', () => {
  let tmp = '';
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'jm-tor-cfg-'));
  });
  afterEach(() => stopCliProcesses());
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('a bootstrap that stalls gives one line and exit 1', async () => {
    const fake = path.join(tmp, 'fake-tor');
    await writeFile(fake, '#!/bin/sh\nexec sleep 30\n');
    await chmod(fake, 0o755);
    const d = DnProcess.start(['--transport', 'tor', '--network', 'regtest', '--managed-tor', '--tor-binary', fake, '--tor-bootstrap-timeout', '1', '--data-dir', tmp]);
    expect(await d.exited).toBe(1);
    expect(d.stderr).toBe('jm-directory: managed tor bootstrap stalled before its first bootstrap message for 1000 ms\n');
  });

  it('a missing tor binary gives the install command', async () => {
    const d = DnProcess.start(['--transport', 'tor', '--network', 'regtest', '--managed-tor', '--tor-binary', path.join(tmp, 'no-tor'), '--data-dir', tmp]);
    expect(await d.exited).toBe(1);
    expect(d.stderr).toMatch(/^jm-directory: tor binary ".*no-tor" not found: install it with `sudo apt-get install -y tor`.*\n$/);
  });
});
