/** pino logger: JSON by default, pretty when stdout is a TTY. Secrets are redacted by key. */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'password', '*.password', 'passphrase', '*.passphrase', 'mnemonic', '*.mnemonic',
  'seed', '*.seed', 'privateKey', '*.privateKey', 'privkey', '*.privkey', 'extension', '*.extension',
];

export interface LoggerOptions {
  level?: LevelWithSilent;
  name?: string;
  pretty?: boolean;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const pretty = opts.pretty ?? Boolean(process.stdout.isTTY);
  return pino({
    name: opts.name ?? 'joinmarket-ts',
    level: opts.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true } } } : {}),
  });
}

/** A logger that drops everything (tests, library defaults). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
