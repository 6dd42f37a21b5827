import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { CLIENT_NETWORK_OPTIONS, LOG_LEVEL, NETWORK, RPC_OPTIONS, addOptions, parseOptions, required, WALLET } from '../../../src/cli/options.js';
import { UsageError } from '../../../src/cli/program.js';

const parse = (defs: Parameters<typeof addOptions>[1], argv: string[]): Record<string, unknown> => {
  const cmd = addOptions(new Command('t').exitOverride(), defs);
  cmd.parse(argv, { from: 'user' });
  return parseOptions(defs, cmd.opts());
};
const problem = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('no error');
};

describe('shared option definitions', () => {
  it('parses values into typed ones and applies defaults', () => {
    const o = parse({ network: NETWORK, ...CLIENT_NETWORK_OPTIONS, logLevel: LOG_LEVEL }, ['--network', 'signet', '--socks', '127.0.0.1:9150', '--transport', 'tor']);
    expect(o).toEqual({ network: 'signet', transport: 'tor', socks: { host: '127.0.0.1', port: 9150 }, nickAuth: 'prefer', logLevel: 'info' });
  });

  it('reports every problem in one line naming each flag', () => {
    const msg = problem(() => parse({ network: NETWORK, wallet: required(WALLET), ...RPC_OPTIONS }, ['--network', 'main', '--rpc-url', 'ftp://x', '--rpc-timeout', '0']));
    expect(msg).toBe('--network: expected one of mainnet, testnet, signet, regtest; --wallet is required; --rpc-url: expected an http:// URL, e.g. http://127.0.0.1:8332; --rpc-timeout: must be at least 1');
  });

  it('checks that a file option names a readable file', () => {
    expect(problem(() => parse(RPC_OPTIONS, ['--rpc-cookie-file', '/nonexistent/.cookie']))).toBe('--rpc-cookie-file: no such file, or not readable');
  });

  it('marks required options in --help', () => {
    const cmd = addOptions(new Command('t'), { network: NETWORK, wallet: WALLET });
    const help = cmd.helpInformation();
    expect(help).toMatch(/--network <name>\s+mainnet \| testnet \| signet \| regtest \(required\)/);
    expect(help).not.toMatch(/--wallet <file>.*\(required\)/);
  });

  it('refuses a definition keyed differently from its flag', () => {
    expect(() => addOptions(new Command('t'), { net: NETWORK })).toThrow('option --network <name> is keyed "net", commander calls it "network"');
  });
});
