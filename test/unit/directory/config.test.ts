import { describe, expect, it } from 'vitest';
import { parseIni } from '../../../src/cli/config/ini.js';
import { ConfigError } from '../../../src/cli/config/errors.js';
import { DIRECTORY_OPTIONS, envName, fromCli, fromEnv, fromJoinmarketCfg, resolveDirectoryConfig } from '../../../src/cli/config/directory-config.js';

const REF_CFG = `
[DAEMON]
no_daemon = 0

[BLOCKCHAIN]
# comment
network = testnet
blockchain_source = regtest

[LOGGING]
console_log_level = DEBUG

[MESSAGING:onion]
type = onion
socks5_host = localhost
socks5_port = 9050
onion_serving_host = 127.0.0.1
onion_serving_port = 8081   ; our DN's listener
hidden_service_dir =
directory_nodes = 127.0.0.1:8081
regtest_count = 1,1
`;

function err(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error('no ConfigError');
}

describe('ini parser', () => {
  it('reads sections, lowercases keys, strips comments, joins continuations', () => {
    const ini = parseIni('[A]\nKey = v ; c\n  more\n# x\n[B]\nk: w\n');
    expect(ini.get('A')?.get('key')).toBe('v\nmore');
    expect(ini.get('B')?.get('k')).toBe('w');
    expect(err(() => parseIni('[A]\njunk line\n', 'x.cfg'))).toBe('invalid value for x.cfg line 2: cannot parse "junk line"');
    expect(err(() => parseIni('k = v\n', 'x.cfg'))).toMatch(/^invalid value for x.cfg line 1/);
  });
});

describe('joinmarket.cfg drop-in', () => {
  it('maps [BLOCKCHAIN] network, [MESSAGING:onion] serving host/port, testing mode and log level', () => {
    const c = resolveDirectoryConfig(fromJoinmarketCfg(REF_CFG));
    expect(c).toMatchObject({ network: 'testnet', transport: 'tcp', listen: { host: '127.0.0.1', port: 8081 }, logLevel: 'debug', hiddenServiceDir: null });
  });

  it('takes hidden_service_dir and stays on tor without testing mode', () => {
    const c = resolveDirectoryConfig(fromJoinmarketCfg('[BLOCKCHAIN]\nnetwork = mainnet\n[MESSAGING:onion]\ntype = onion\nhidden_service_dir = /var/lib/hs\nregtest_count = 0,0\n'));
    expect(c).toMatchObject({ transport: 'tor', hiddenServiceDir: '/var/lib/hs', listen: { host: '127.0.0.1', port: 5222 } });
  });

  it.each([
    ['[BLOCKCHAIN]\nnetwork = bitcoin\n', 'invalid value for joinmarket.cfg [BLOCKCHAIN] network: expected one of mainnet, testnet, signet, regtest'],
    ['[BLOCKCHAIN]\nnetwork = testnet\n[MESSAGING:onion]\nonion_serving_port = 70000\n', 'invalid value for joinmarket.cfg [MESSAGING:onion] onion_serving_port: expected a port number 0-65535'],
    ['[BLOCKCHAIN]\nnetwork = testnet\n[MESSAGING:onion]\nonion_serving_port = abc\n', 'invalid value for joinmarket.cfg [MESSAGING:onion] onion_serving_port: expected a port number 0-65535'],
    ['[BLOCKCHAIN]\nnetwork = testnet\n[MESSAGING:onion]\nonion_serving_host = a b\n', 'invalid value for joinmarket.cfg [MESSAGING:onion] onion_serving_host: expected a host name or IPv4 address, got "a b"'],
    ['[BLOCKCHAIN]\nnetwork = testnet\n[MESSAGING:onion]\nregtest_count = yes\n', 'invalid value for joinmarket.cfg [MESSAGING:onion] regtest_count: expected two integers "a,b", got "yes"'],
    ['[LOGGING]\nconsole_log_level = LOUD\n', 'invalid value for joinmarket.cfg [LOGGING] console_log_level: expected DEBUG, INFO, WARNING, ERROR or CRITICAL'],
  ])('bad cfg value %#', (text, message) => {
    expect(err(() => resolveDirectoryConfig(fromJoinmarketCfg(text)))).toBe(message);
  });
});

describe('env and flags', () => {
  it('names env vars after the options', () => {
    expect(envName('maxPeers')).toBe('JM_DIRECTORY_MAX_PEERS');
    expect(envName('evictSilentTakers')).toBe('JM_DIRECTORY_EVICT_SILENT_TAKERS');
  });

  it('precedence: cfg < env < flags; values are converted to limits', () => {
    const c = resolveDirectoryConfig(
      fromJoinmarketCfg(REF_CFG),
      fromEnv({ JM_DIRECTORY_NETWORK: 'signet', JM_DIRECTORY_MAX_PEERS: '10', JM_DIRECTORY_EVICT_SILENT_TAKERS: 'yes' }),
      fromCli({ maxPeers: '20', handshakeTimeout: '2.5', ratePubmsg: '0', http: '127.0.0.1:9090', motd: 'hello' }),
    );
    expect(c).toMatchObject({ network: 'signet', http: { host: '127.0.0.1', port: 9090 }, motd: 'hello' });
    expect(c.limits).toEqual({ maxPeers: 20, handshakeTimeoutMs: 2500, ratePubmsgPerMin: 0, evictSilentTakers: true });
  });

  it('limits for hostile input: flags and env vars', () => {
    const c = resolveDirectoryConfig(
      fromEnv({ JM_DIRECTORY_NETWORK: 'testnet', JM_DIRECTORY_LINE_TIMEOUT: '90', JM_DIRECTORY_INPUT_BUDGET: '1048576', JM_DIRECTORY_OUTPUT_BUDGET: '2097152' }),
      fromCli({ lineTimeout: '120', peerlistBytes: '65536', pubmsgBytes: '0' }),
    );
    expect(c.limits).toEqual({ lineTimeoutMs: 120_000, inputBudgetBytes: 1_048_576, outputBudgetBytes: 2_097_152, peerlistBytesPerMin: 65_536, pubmsgBytesPerMin: 0 });
  });

  it('privmsg byte budgets: flags and env vars', () => {
    const c = resolveDirectoryConfig(
      fromEnv({ JM_DIRECTORY_NETWORK: 'testnet', JM_DIRECTORY_PRIVMSG_RECV_BURST: '2097152' }),
      fromCli({ privmsgBytes: '0', privmsgRecvBytes: '131072' }),
    );
    expect(c.limits).toEqual({ privmsgBytesPerMin: 0, privmsgRecvBytesPerSec: 131_072, privmsgRecvBurstBytes: 2_097_152 });
  });

  it('broadcast budget and soft mark: flags and env vars', () => {
    const c = resolveDirectoryConfig(
      fromEnv({ JM_DIRECTORY_NETWORK: 'testnet', JM_DIRECTORY_BROADCAST_RATE: '20', JM_DIRECTORY_BROADCAST_BURST: '2.5', JM_DIRECTORY_WRITE_SOFT_MARK: '0' }),
      fromCli({ broadcastBytes: '0', broadcastOrderbook: '1', broadcastHalfLife: '30', broadcastProvenWeight: '1', slowReaderStall: '5', broadcastRate: '25', departureBytes: '4096', broadcastNewcomer: '10' }),
    );
    expect(c.limits).toEqual({
      broadcastPerSec: 25, broadcastBurstMs: 2_500, writeSoftMarkBytes: 0, broadcastBytesPerSec: 0, broadcastOrderbookPerSec: 1,
      broadcastHalfLifeMs: 30_000, broadcastProvenWeight: 1, slowReaderStallMs: 5_000, departureBytesPerSec: 4_096,
      broadcastNewcomerPercent: 10,
    });
  });

  it('location-proof flags set the prover limits and the loopback port range', () => {
    const c = resolveDirectoryConfig(fromCli({ network: 'testnet', proofConcurrency: '4', proofQueue: '7', proofAttempts: '2', proofCacheTtl: '60', proofRetryMax: '0.5', proofLoopbackPorts: '2000-3000' }));
    expect(c.locationProofs).toEqual({ enabled: true, limits: { maxConcurrent: 4, maxQueued: 7, maxAttempts: 2, cacheTtlMs: 60_000, retryMaxMs: 500 }, loopbackPorts: { min: 2000, max: 3000 } });
    expect(resolveDirectoryConfig(fromCli({ network: 'testnet' })).locationProofs).toEqual({ enabled: true, limits: {} });
  });

  it('network is required', () => {
    expect(err(() => resolveDirectoryConfig({}))).toBe('--network is required (or JM_DIRECTORY_NETWORK, or [BLOCKCHAIN] network in --config)');
  });

  const BAD: Record<string, [string, string]> = {
    transport: ['udp', 'expected tcp or tor'],
    listen: ['localhost', 'expected HOST:PORT with port 0-65535, got "localhost"'],
    network: ['main', 'expected one of mainnet, testnet, signet, regtest'],
    motd: ['x'.repeat(513), 'at most 512 characters'],
    http: ['127.0.0.1:99999', 'expected HOST:PORT with port 0-65535, got "127.0.0.1:99999"'],
    logLevel: ['loud', 'expected one of fatal, error, warn, info, debug, trace, silent'],
    publicLocation: [' ', 'must not be empty'],
    maxPeers: ['0', 'must be at least 1'],
    maxPending: ['-1', 'expected a whole number'],
    handshakeTimeout: ['soon', 'expected a number of seconds'],
    sweepInterval: ['0', 'must be at least 0.01 s'],
    probeAfter: ['1e3', 'expected a number of seconds'],
    pongTimeout: ['x', 'expected a number of seconds'],
    evictAfter: ['-5', 'expected a number of seconds'],
    evictSilentTakers: ['maybe', 'expected true or false'],
    ratePubmsg: ['1.5', 'expected a whole number'],
    rateOrderbook: ['many', 'expected a whole number'],
    rateGetpeerlist: ['', 'expected a whole number'],
    ratePrivmsg: ['x', 'expected a whole number'],
    writeHighWater: ['100', 'must be at least 1024'],
    writeSoftMark: ['1e6', 'expected a whole number'],
    slowReaderStall: ['never', 'expected a number of seconds'],
    broadcastRate: ['-1', 'expected a whole number'],
    broadcastBytes: ['32k', 'expected a whole number'],
    broadcastOrderbook: ['0.5', 'expected a whole number'],
    broadcastBurst: ['0', 'must be at least 0.1 s'],
    broadcastHalfLife: ['0.01', 'must be at least 0.1 s'],
    broadcastProvenWeight: ['0', 'must be at least 1'],
    broadcastNewcomer: ['101', 'must be at most 100'],
    lineTimeout: ['-1', 'expected a number of seconds'],
    inputBudget: ['65535', 'must be at least 65536'],
    peerlistBytes: ['-1', 'expected a whole number'],
    pubmsgBytes: ['lots', 'expected a whole number'],
    privmsgBytes: ['2M', 'expected a whole number'],
    privmsgRecvBytes: ['-1', 'expected a whole number'],
    privmsgRecvBurst: ['40000', 'must be at least 65536'],
    outputBudget: ['64k', 'expected a whole number'],
    departureCoalesce: ['20000', 'must be at most 10000'],
    departureBytes: ['8k', 'expected a whole number'],
    proveLocations: ['maybe', 'expected true or false'],
    proofSocks: ['nowhere', 'expected HOST:PORT with port 0-65535, got "nowhere"'],
    proofConcurrency: ['0', 'must be at least 1'],
    proofQueue: ['0', 'must be at least 1'],
    proofTimeoutLoopback: ['0.05', 'must be at least 0.1 s'],
    proofTimeoutOnion: ['0.5', 'must be at least 1 s'],
    proofRetryBase: ['0', 'must be at least 0.01 s'],
    proofRetryMax: ['never', 'expected a number of seconds'],
    proofAttempts: ['0', 'must be at least 1'],
    proofBudgetReset: ['0.5', 'must be at least 1 s'],
    proofMinInterval: ['-1', 'expected a number of seconds'],
    proofCacheTtl: ['1h', 'expected a number of seconds'],
    proofCacheMax: ['lots', 'expected a whole number'],
    proofLoopbackPorts: ['2000-1000', 'expected LO-HI with 1 <= LO <= HI <= 65535, got "2000-1000"'],
    handshakePressureTimeout: ['soon', 'expected a number of seconds'],
    connectionLogLines: ['0', 'must be at least 1'],
    nickAuth: ['maybe', 'expected prefer, require, off'],
    nickAuthId: ['Not-An-Id', 'expected [a-z0-9][a-z0-9.:_-]* (e.g. <onion>.onion:5222)'],
    nickAuthTimeout: ['31', 'at most 30 s (ng caps it there)'],
    nickAuthWorker: ['sometimes', 'expected true or false'],
  };

  it('has a bad-value case for every option', () => {
    expect(Object.keys(BAD).sort()).toEqual(DIRECTORY_OPTIONS.map((o) => o.key).filter((k) => k !== 'hiddenServiceDir').sort());
  });

  for (const [key, [value, detail]] of Object.entries(BAD)) {
    const spec = DIRECTORY_OPTIONS.find((o) => o.key === key)!;
    it(`${spec.flag.split(' ')[0]} ${JSON.stringify(value.slice(0, 20))} → one line naming the flag, and the env var`, () => {
      const base = key === 'network' ? {} : { network: 'testnet' };
      expect(err(() => resolveDirectoryConfig(fromCli({ ...base, [key]: value })))).toBe(`invalid value for ${spec.flag.split(' ')[0]}: ${detail}`);
      if (value !== '') {
        const env = { JM_DIRECTORY_NETWORK: 'testnet', [envName(spec.key)]: value };
        expect(err(() => resolveDirectoryConfig(fromEnv(env)))).toBe(`invalid value for ${envName(spec.key)}: ${detail}`);
      }
    });
  }
});
