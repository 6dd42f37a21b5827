/** Default state directories: systemd's $STATE_DIRECTORY, else $XDG_DATA_HOME or ~/.local/share, + an app name. */
import os from 'node:os';
import path from 'node:path';

type Env = Readonly<Record<string, string | undefined>>;

export function defaultDataDir(env: Env, app: string, home = os.homedir()): string {
  const state = env.STATE_DIRECTORY?.split(':')[0];
  if (state) return state;
  const xdg = env.XDG_DATA_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.local', 'share'), app);
}

export const CLIENT_DATA_DIR_ENV = 'JM_DATA_DIR';

/** The clients' (watcher, maker, taker) data directory: --data-dir, JM_DATA_DIR, else defaultDataDir(…, 'joinmarket-ts'). */
export function clientDataDir(flag: string | undefined, env: Env, home = os.homedir()): string {
  const chosen = flag ?? env[CLIENT_DATA_DIR_ENV];
  return path.resolve(chosen !== undefined && chosen !== '' ? chosen : defaultDataDir(env, 'joinmarket-ts', home));
}
