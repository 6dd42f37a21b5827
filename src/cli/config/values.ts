/** zod parsers for option values given as text (flags, env vars, cfg files). */
import { z } from 'zod';

export const hostPort = z.string().transform((s, ctx) => {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):([0-9]{1,5})$/.exec(s.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) {
    ctx.addIssue({ code: 'custom', message: `expected HOST:PORT with port 0-65535, got ${JSON.stringify(s)}` });
    return z.NEVER;
  }
  return { host: (m[1] ?? m[2])!, port };
});

export const port = z
  .string()
  .regex(/^[0-9]{1,5}$/, 'expected a port number 0-65535')
  .transform(Number)
  .pipe(z.number().max(65535, 'expected a port number 0-65535'));

export function intIn(min: number, max = Number.MAX_SAFE_INTEGER) {
  return z
    .string()
    .trim()
    .regex(/^[0-9]+$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
}

/** "LO-HI" (ports 1-65535, LO ≤ HI) → { min, max }. */
export const portRange = z.string().transform((s, ctx) => {
  const m = /^([0-9]{1,5})-([0-9]{1,5})$/.exec(s.trim());
  const min = m ? Number(m[1]) : NaN;
  const max = m ? Number(m[2]) : NaN;
  if (!m || !(min >= 1 && max <= 65535 && min <= max)) {
    ctx.addIssue({ code: 'custom', message: `expected LO-HI with 1 <= LO <= HI <= 65535, got ${JSON.stringify(s)}` });
    return z.NEVER;
  }
  return { min, max };
});

/** Seconds (decimals allowed) → milliseconds. */
export const seconds = z
  .string()
  .trim()
  .regex(/^[0-9]+(\.[0-9]+)?$/, 'expected a number of seconds')
  .transform((s) => Math.round(Number(s) * 1000));

export const bool = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], 'expected true or false'))
  .transform((s) => s === 'true' || s === '1' || s === 'yes' || s === 'on');

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const logLevel = z.string().trim().toLowerCase().pipe(z.enum(LOG_LEVELS, `expected one of ${LOG_LEVELS.join(', ')}`));

/** Python logging level names as found in joinmarket.cfg [LOGGING] console_log_level. */
export const pythonLogLevel = z
  .string()
  .trim()
  .toUpperCase()
  .pipe(z.enum(['CRITICAL', 'ERROR', 'WARNING', 'WARN', 'INFO', 'DEBUG'], 'expected DEBUG, INFO, WARNING, ERROR or CRITICAL'))
  .transform((s) => ({ CRITICAL: 'fatal', ERROR: 'error', WARNING: 'warn', WARN: 'warn', INFO: 'info', DEBUG: 'debug' })[s] as (typeof LOG_LEVELS)[number]);
