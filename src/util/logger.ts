/** pino logger: JSON by default, pretty when stdout is a TTY. Secrets are redacted by key. */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'password', '*.password', 'passphrase', '*.passphrase', 'mnemonic', '*.mnemonic',
  'seed', '*.seed', 'privateKey', '*.privateKey', 'privkey', '*.privkey', 'extension', '*.extension',
];

/** Buffered JSON output: written once this many bytes are queued, or at the flush interval. */
export const BUFFERED_MIN_BYTES = 4096;
export const BUFFERED_FLUSH_MS = 500;

export interface LoggerOptions {
  level?: LevelWithSilent;
  name?: string;
  pretty?: boolean;
  /**
   * Servers: buffer JSON lines and write them asynchronously (a connect storm then costs a few
   * writes, not one blocking write per line). Lines reach stdout within BUFFERED_FLUSH_MS, on
   * `logger.flush()`, and at process exit. Ignored when pretty.
   */
  buffered?: boolean;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const pretty = opts.pretty ?? Boolean(process.stdout.isTTY);
  const options = {
    name: opts.name ?? 'joinmarket-ts',
    level: opts.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  if (pretty) return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } });
  if (!opts.buffered) return pino(options);
  // pino registers an exit hook that writes what is still buffered (flushSync).
  const dest = pino.destination({ dest: 1, sync: false, minLength: BUFFERED_MIN_BYTES, periodicFlush: BUFFERED_FLUSH_MS });
  return pino(options, dest);
}

/** A logger that drops everything (tests, library defaults). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
