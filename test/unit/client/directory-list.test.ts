import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  builtinDirectoryList, defaultTransport, diffDirectoryLists, DirectoryListError, MAX_LIST_BYTES, parseDirectoryList,
  resolveDirectories, serializeDirectoryList, userListPath, type DirectoryList,
} from '../../../src/client/directory-list.js';
import { onionHostFromPubkey } from '../../../src/protocol/onion.js';
import { clientDataDir } from '../../../src/util/data-dir.js';

const onion = (b: number): string => onionHostFromPubkey(new Uint8Array(32).fill(b));
const A = onion(1);
const B = onion(2);
const RETIRED = '3kxw6lf5vf6y26emzwgibzhrzhmhqiw6ekrek3nqfjjmhwznb2moonad.onion';
const doc = (networks: Record<string, unknown>, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ format: 'joinmarket-directories', version: 1, networks, ...extra });

describe('built-in directory list', () => {
  it('ships the public mainnet and signet directories and the retired list', () => {
    const l = builtinDirectoryList();
    expect(l.networks.mainnet).toHaveLength(7);
    expect(l.networks.signet).toHaveLength(6);
    expect(l.networks.testnet).toEqual([]);
    expect(l.networks.mainnet!.map((e) => e.port)).toEqual(Array(7).fill(5222));
    expect(l.networks.mainnet!.map((e) => e.host)).toContain('nakamotourflxwjnjpnrk7yc2nhkf6r62ed4gdfxmmn5f4saw5q5qoyd.onion');
    expect(l.retired.map((r) => r.host)).toContain(RETIRED);
    expect(l.retired).toHaveLength(5);
    const listed = new Set(Object.values(l.networks).flat().map((e) => e!.host));
    for (const r of l.retired) expect(listed.has(r.host)).toBe(false);
  });
});

describe('parseDirectoryList', () => {
  it('accepts strings and {address, note}, defaults the port, lowercases onions', () => {
    const l = parseDirectoryList(doc({ mainnet: [A.toUpperCase().replace('.ONION', '.onion'), { address: `${B}:5333`, note: 'mine' }] }), 'x');
    expect(l.networks.mainnet).toEqual([{ host: A, port: 5222 }, { host: B, port: 5333, note: 'mine' }]);
    expect(l.retired).toEqual([]);
  });

  it.each([
    ['not JSON', '{', /x: not JSON/],
    ['a wrong format', JSON.stringify({ format: 'other', version: 1, networks: {} }), /"format" must be "joinmarket-directories"/],
    ['a wrong version', JSON.stringify({ format: 'joinmarket-directories', version: 2, networks: {} }), /"version" must be 1/],
    ['an unknown network', doc({ mainet: [A] }), /networks: .*mainet/i],
    ['an unknown key', doc({}, { extra: 1 }), /extra/],
    ['a clearnet host on mainnet', doc({ mainnet: ['example.com:5222'] }), /networks\.mainnet\.0: "example\.com:5222" is not a v3 onion/],
    ['a bad onion checksum', doc({ signet: [`${A.slice(0, 10)}${A[10] === 'a' ? 'b' : 'a'}${A.slice(11)}`] }), /networks\.signet\.0/],
    ['a bad port', doc({ mainnet: [`${A}:99999`] }), /bad port/],
    ['a duplicate', doc({ mainnet: [A, `${A}:5222`] }), /listed twice/],
    ['a control character in a note', doc({ mainnet: [{ address: A, note: 'a\u001b[31m' }] }), /control characters/],
    ['a retired entry that is not an onion', doc({}, { retired: [{ host: 'example.com' }] }), /retired\.0\.host/],
    ['too many entries', doc({ mainnet: Array.from({ length: 65 }, (_, i) => onion(i + 1)) }), /networks\.mainnet/],
  ])('rejects %s with a message naming the place', (_what, text, re) => {
    expect(() => parseDirectoryList(text, 'x')).toThrow(DirectoryListError);
    expect(() => parseDirectoryList(text, 'x')).toThrow(re);
  });

  it('refuses a document over the size cap before parsing it', () => {
    const big = doc({ mainnet: [A] }, { comment: 'x'.repeat(10) }).replace('"x', `"${' '.repeat(MAX_LIST_BYTES)}x`);
    expect(() => parseDirectoryList(big, 'x')).toThrow(/larger than 65536 bytes/);
  });

  it('lets regtest lists name loopback hosts', () => {
    expect(parseDirectoryList(doc({ regtest: ['127.0.0.1:5222', 'localhost'] }), 'x').networks.regtest).toEqual([
      { host: '127.0.0.1', port: 5222 }, { host: 'localhost', port: 5222 },
    ]);
  });

  it('round-trips through serializeDirectoryList', () => {
    const l = builtinDirectoryList();
    expect(parseDirectoryList(serializeDirectoryList(l), 'again')).toEqual(l);
  });
});

describe('resolveDirectories', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'jm-dirlist-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const user = (text: string): Promise<void> => writeFile(userListPath(dir), text);

  it('uses the built-in list when nothing else is given', () => {
    const r = resolveDirectories({ network: 'mainnet', dataDir: dir, transport: 'tor' });
    expect(r.source).toBe('built-in list');
    expect(r.directories).toEqual(builtinDirectoryList().networks.mainnet);
  });

  it('precedence: --directory over JM_DIRECTORIES over the user file over the built-in list', async () => {
    await user(doc({ mainnet: [A] }));
    const base = { network: 'mainnet' as const, dataDir: dir, transport: 'tor' as const };
    expect(resolveDirectories(base)).toMatchObject({ source: userListPath(dir), directories: [{ host: A, port: 5222 }] });
    expect(resolveDirectories({ ...base, env: `${B}:1` })).toMatchObject({ source: 'JM_DIRECTORIES', directories: [{ host: B, port: 1 }] });
    expect(resolveDirectories({ ...base, env: B, flag: `${A}:2, ${A}:2` })).toMatchObject({ source: '--directory', directories: [{ host: A, port: 2 }] });
    // An empty variable counts as unset.
    expect(resolveDirectories({ ...base, env: ' ' }).source).toBe(userListPath(dir));
  });

  it('the user file overrides per network; other networks keep the built-in list', async () => {
    await user(doc({ mainnet: [A] }));
    expect(resolveDirectories({ network: 'signet', dataDir: dir, transport: 'tor' })).toMatchObject({
      source: 'built-in list', directories: builtinDirectoryList().networks.signet,
    });
  });

  it('never dials a retired directory: skipped from lists, refused when given explicitly', async () => {
    await user(doc({ mainnet: [A, RETIRED, B] }, { retired: [{ host: B, note: 'gone' }] }));
    const r = resolveDirectories({ network: 'mainnet', dataDir: dir, transport: 'tor' });
    expect(r.directories.map((d) => d.host)).toEqual([A]);
    expect(r.skipped.map((s) => [s.host, s.reason])).toEqual([[RETIRED, 'retired: pre-2025 reference default'], [B, 'retired: gone']]);
    expect(() => resolveDirectories({ network: 'mainnet', dataDir: dir, transport: 'tor', flag: `${RETIRED}:5222` })).toThrow(/retired directory \(pre-2025 reference default\)/);
    expect(() => resolveDirectories({ network: 'mainnet', dataDir: dir, transport: 'tor', env: B })).toThrow(/JM_DIRECTORIES: .* retired directory \(gone\)/);
  });

  it('says what to do when a network has no directories', async () => {
    expect(() => resolveDirectories({ network: 'testnet', dataDir: dir, transport: 'tor' })).toThrow(/no directories for testnet in the built-in list: give --directory/);
    await user(doc({ signet: [] }));
    expect(() => resolveDirectories({ network: 'signet', dataDir: dir, transport: 'tor' })).toThrow(/in the user list .*directories\.json/);
  });

  it('refuses onion directories over plain TCP', () => {
    expect(() => resolveDirectories({ network: 'mainnet', dataDir: dir, transport: 'tcp' })).toThrow(/is an onion address: use --transport tor/);
    expect(resolveDirectories({ network: 'regtest', dataDir: dir, transport: 'tcp', flag: '127.0.0.1:5222' }).directories).toEqual([{ host: '127.0.0.1', port: 5222 }]);
  });

  it('a broken user file is an error naming the file, not a silent fallback', async () => {
    await user('{"format": "joinmarket-directories"');
    expect(() => resolveDirectories({ network: 'mainnet', dataDir: dir, transport: 'tor' })).toThrow(new RegExp(`${userListPath(dir)}: not JSON`));
    await user(doc({ mainnet: ['nope.example:5222'] }));
    expect(() => resolveDirectories({ network: 'mainnet', dataDir: dir, transport: 'tor' })).toThrow(/networks\.mainnet\.0/);
  });

  it('bad explicit values name the option', () => {
    expect(() => resolveDirectories({ network: 'regtest', dataDir: dir, transport: 'tcp', flag: 'a:b' })).toThrow(/^--directory: /);
    expect(() => resolveDirectories({ network: 'regtest', dataDir: dir, transport: 'tcp', flag: ' , ' })).toThrow('--directory is empty');
  });
});

describe('diffDirectoryLists', () => {
  it('lists additions and removals per network and for the retired list', () => {
    const before: DirectoryList = { networks: { mainnet: [{ host: A, port: 5222 }], signet: [{ host: B, port: 5222 }] }, retired: [] };
    const after: DirectoryList = { networks: { mainnet: [{ host: B, port: 5222, note: 'new' }] }, retired: [{ host: A }] };
    expect(diffDirectoryLists(before, after)).toEqual([
      `- mainnet  ${A}:5222`,
      `+ mainnet  ${B}:5222  (new)`,
      `- signet   ${B}:5222`,
      '- signet   (own list removed: the built-in list applies again)',
      `+ retired  ${A}`,
    ]);
    expect(diffDirectoryLists(after, after)).toEqual([]);
    expect(diffDirectoryLists(null, after)[0]).toBe(`+ mainnet  ${B}:5222  (new)`);
  });
});

describe('defaults', () => {
  it('Tor on every public network, TCP only on regtest', () => {
    expect(['mainnet', 'signet', 'testnet', 'regtest'].map(defaultTransport)).toEqual(['tor', 'tor', 'tor', 'tcp']);
  });

  it('data directory: flag, JM_DATA_DIR, STATE_DIRECTORY, XDG_DATA_HOME, ~/.local/share', () => {
    expect(clientDataDir('/a', { JM_DATA_DIR: '/b' }, '/h')).toBe('/a');
    expect(clientDataDir(undefined, { JM_DATA_DIR: '/b', STATE_DIRECTORY: '/c' }, '/h')).toBe('/b');
    expect(clientDataDir(undefined, { STATE_DIRECTORY: '/c:/d' }, '/h')).toBe('/c');
    expect(clientDataDir(undefined, { XDG_DATA_HOME: '/x' }, '/h')).toBe('/x/joinmarket-ts');
    expect(clientDataDir(undefined, { XDG_DATA_HOME: 'relative' }, '/h')).toBe('/h/.local/share/joinmarket-ts');
  });
});

describe('resolveClientNetwork', () => {
  it('the wire network picks the list and the handshake; the chain network picks the default transport', async () => {
    const { resolveClientNetwork } = await import('../../../src/client/directory-list.js');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'jm-dirlist-'));
    try {
      expect(resolveClientNetwork({ network: 'regtest', wireNetwork: 'testnet', directory: '127.0.0.1:5222', dataDir: dir }, {})).toMatchObject({
        wireNetwork: 'testnet', transport: 'tcp', source: '--directory', directories: [{ host: '127.0.0.1', port: 5222 }],
      });
      expect(resolveClientNetwork({ network: 'signet', dataDir: dir }, {})).toMatchObject({ wireNetwork: 'signet', transport: 'tor', source: 'built-in list' });
      expect(resolveClientNetwork({ network: 'mainnet', dataDir: dir }, { JM_DIRECTORIES: `${A}` })).toMatchObject({ source: 'JM_DIRECTORIES', transport: 'tor' });
      expect(() => resolveClientNetwork({ network: 'regtest', wireNetwork: 'regnet', dataDir: dir }, {})).toThrow(/--wire-network must be one of/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
