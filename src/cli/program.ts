/**
 * What every jm-* command shares: `--version`, `--help` that shows the global options on each
 * subcommand, errors as one line prefixed with the command's name, and the exit codes
 * 0 ok, 1 failure, 2 bad usage (a missing or invalid flag, an unreadable file, a bad address).
 */
import { Command, CommanderError } from 'commander';
import { packageVersion } from '../directory/version.js';

export const USAGE_EXIT = 2;

/** A mistake on the command line: exit 2, never after network work has started. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The root command; subcommands made with `.command()` inherit its output and exit settings. */
export function cliProgram(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .version(packageVersion(), '--version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help')
    .exitOverride()
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({ outputError: (s, write) => write(s.replace(/^error: /, `${name}: `)) })
    .showHelpAfterError(`(${name} --help shows the usage)`);
}

/** Flags of earlier versions (in every command, and per command), named in the error so old scripts and notes are easy to fix. */
const RENAMED: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  '*': { '--wallet-file': '--wallet', '--rpc-cookie': '--rpc-cookie-file' },
  'jm-maker': { '--commitments': '--commitment-list' },
  'jm-taker': { '--commitments': '--sent-commitments' },
};

/** Parses argv and runs the chosen action; returns the exit code (errors are printed here). */
export async function runCli(program: Command, argv: readonly string[]): Promise<number> {
  try {
    const renamed = { ...RENAMED['*'], ...RENAMED[program.name()] };
    const old = argv.slice(2).map((a) => a.split('=')[0]!).find((a) => Object.hasOwn(renamed, a));
    if (old !== undefined) throw new UsageError(`${old} is now ${renamed[old]}`);
    await program.parseAsync([...argv]);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : USAGE_EXIT;
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`${program.name()}: ${message}\n`);
    return e instanceof UsageError ? USAGE_EXIT : 1;
  }
}
