// jm-taker refuses, before any wallet or network work (exit 2), what would let it spend without
// the user's consent or above its caps.
import { describe, expect, it } from 'vitest';
import { runCli, type CliRun } from '../../helpers/cli-process.js';

const BASE = ['coinjoin', '--wallet', 'nonexistent.jmw', '--network', 'regtest', '--directory', '127.0.0.1:1', '--amount', '30000000', '--mixdepth', '0',
  '--destination', 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080'];

const run = (args: string[]): Promise<CliRun> => runCli('jm-taker', args);

describe('jm-taker usage checks', () => {
  it('not on a terminal and no --yes: refuses instead of spending unconfirmed', async () => {
    const c = await run(BASE);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/not on a terminal, so nobody can confirm the fees: pass --yes/);
  });
  it('a fee rate above the cap, or a relative fee limit of 1 or more, is a usage error', async () => {
    const [rate, rel, abs] = await Promise.all([
      run([...BASE, '--yes', '--fee-rate', '351']),
      run([...BASE, '--yes', '--max-cj-fee-rel', '1.5']),
      run([...BASE, '--yes', '--max-cj-fee-abs', '-1']),
    ]);
    expect([rate.code, rate.stderr]).toEqual([2, expect.stringMatching(/--fee-rate 351 is above --max-fee-rate 350 sat\/vB/)]);
    expect([rel.code, rel.stderr]).toEqual([2, expect.stringMatching(/--max-cj-fee-rel: expected a decimal fraction below 1/)]);
    expect(abs.code).toBe(2);
    expect(rel.stderr).not.toMatch(/no wallet file/); // checked before the wallet
  });
});
