/**
 * Turns a TorConfig into the OnionService source. In 'auto' mode: the default control port if
 * something listens there, else a managed tor if a tor binary is installed, else a clear error.
 */
import { accessSync, constants } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describeControlTarget, type ControlTarget } from '../../transport/tor/control-target.js';
import { TOR_INSTALL_HINT } from '../../transport/tor/managed-tor.js';
import { TorSetupError } from '../../transport/tor/errors.js';
import type { OnionServiceSource } from '../../transport/tor/onion-service.js';
import type { TorConfig } from './tor-config.js';

export interface TorSourceDeps {
  /** Resolves null if something accepts connections there, else the error code. */
  probeControl(target: ControlTarget): Promise<string | null>;
  /** The executable's path, or null when not found. */
  findExecutable(nameOrPath: string): string | null;
}

export interface ChosenTorSource {
  source: OnionServiceSource;
  /** One line for the log: which mode and why. */
  description: string;
}

export async function chooseTorSource(cfg: TorConfig, deps: TorSourceDeps = defaultTorSourceDeps): Promise<ChosenTorSource> {
  const managed = (): OnionServiceSource => ({
    kind: 'managed',
    tor: {
      dataDir: path.join(cfg.dataDir, 'managed-tor'),
      // Location proofs dial peers' onions through it.
      socksPort: 'auto',
      ...(cfg.torBinary !== null ? { torBinary: cfg.torBinary } : {}),
      ...(cfg.torrcInclude !== null ? { torrcInclude: cfg.torrcInclude } : {}),
      ...(cfg.stallTimeoutMs !== null ? { stallTimeoutMs: cfg.stallTimeoutMs } : {}),
    },
  });
  const control: OnionServiceSource = { kind: 'control', target: cfg.control, auth: cfg.auth };
  const where = describeControlTarget(cfg.control);
  switch (cfg.mode) {
    case 'hidden-service-dir':
      return { source: { kind: 'hidden-service-dir', dir: cfg.hiddenServiceDir ?? '' }, description: `HiddenServiceDir ${cfg.hiddenServiceDir}` };
    case 'managed':
      return { source: managed(), description: 'managed tor (--managed-tor)' };
    case 'control':
      return { source: control, description: `tor control port ${where}` };
    case 'auto': {
      const refused = await deps.probeControl(cfg.control);
      if (refused === null) return { source: control, description: `tor control port ${where} (default)` };
      const bin = cfg.torBinary ?? 'tor';
      if (deps.findExecutable(bin) !== null) {
        return { source: managed(), description: `no tor control port at ${where} (${refused}); starting a managed tor` };
      }
      throw new TorSetupError(`no tor control port at ${where} (${refused}) and no tor binary "${bin}" to start: ${TOR_INSTALL_HINT}, or give --tor-control`);
    }
  }
}

function probeControl(target: ControlTarget): Promise<string | null> {
  return new Promise((resolve) => {
    const s = target.kind === 'unix' ? net.connect({ path: target.path }) : net.connect({ host: target.host, port: target.port });
    s.setTimeout(3000, () => {
      s.destroy();
      resolve('timed out');
    });
    s.once('connect', () => {
      s.destroy();
      resolve(null);
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

function findExecutable(nameOrPath: string): string | null {
  const candidates = nameOrPath.includes('/')
    ? [path.resolve(nameOrPath)]
    : (process.env.PATH ?? '').split(path.delimiter).filter((d) => d !== '').map((d) => path.join(d, nameOrPath));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not here
    }
  }
  return null;
}

export const defaultTorSourceDeps: TorSourceDeps = { probeControl, findExecutable };
