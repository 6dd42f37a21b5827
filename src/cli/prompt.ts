/** Terminal input for the CLIs: a line with or without echo, and the wallet password. */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { UsageError } from './program.js';

/**
 * One line from the terminal; with `hidden` the typed characters are not echoed. Refuses
 * (UsageError `noTerminal`) when stdin is not a terminal, so scripts never hang.
 */
export async function promptLine(question: string, opts: { hidden: boolean; noTerminal: string }): Promise<string> {
  if (!process.stdin.isTTY) throw new UsageError(opts.noTerminal);
  let muted = false;
  // readline echoes through its output stream; this one forwards to stderr unless muted.
  const output = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  process.stderr.write(question);
  muted = opts.hidden;
  try {
    return await new Promise<string>((resolve) => rl.question('', resolve));
  } finally {
    rl.close();
    if (opts.hidden) process.stderr.write('\n');
  }
}

const NO_PASSWORD = 'no password given: use --password-file, JM_WALLET_PASSWORD, or run on a terminal';

/**
 * The wallet password: the first line of --password-file, else env JM_WALLET_PASSWORD, else a
 * hidden prompt. For a new wallet (`newWallet`) the prompt asks twice, and an empty password is
 * refused unless `allowEmpty` (the file would then open for anyone who copies it).
 */
export async function walletPassword(passwordFile: string | undefined, opts: { newWallet?: boolean; allowEmpty?: boolean } = {}): Promise<string> {
  const p = await passwordFromSources(passwordFile, opts.newWallet ?? false);
  if (opts.newWallet && p === '' && !opts.allowEmpty) {
    throw new UsageError('refusing an empty wallet password: anyone with a copy of the file could open it (--allow-empty-password accepts that)');
  }
  return p;
}

async function passwordFromSources(passwordFile: string | undefined, twice: boolean): Promise<string> {
  if (passwordFile !== undefined) {
    try {
      return readFileSync(passwordFile, 'utf8').split(/\r?\n/)[0] ?? '';
    } catch (e) {
      throw new UsageError(`cannot read --password-file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }
  const env = process.env['JM_WALLET_PASSWORD'];
  if (env !== undefined) return env;
  const p = await promptLine('Wallet password: ', { hidden: true, noTerminal: NO_PASSWORD });
  if (twice && p !== (await promptLine('Repeat password: ', { hidden: true, noTerminal: NO_PASSWORD }))) throw new UsageError('passwords do not match');
  return p;
}

/**
 * Before any wallet or network work: a command that will ask to confirm `what` needs a terminal
 * or --yes, so off a terminal it refuses up front (exit 2) instead of failing after the work.
 */
export function assertCanConfirm(yes: boolean | undefined, what: string): void {
  if (!yes && !process.stdin.isTTY) throw new UsageError(`not on a terminal, so nobody can confirm ${what}: pass --yes to go ahead without asking`);
}

/** "question [y/N]" on the terminal, unless `yes`; only y or yes goes ahead. */
export async function askYesNo(yes: boolean | undefined, question: string): Promise<boolean> {
  if (yes) return true;
  const a = await promptLine(`${question} [y/N] `, { hidden: false, noTerminal: 'not on a terminal: pass --yes to go ahead without asking' });
  return /^\s*y(es)?\s*$/i.test(a);
}
