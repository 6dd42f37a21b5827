/** A configuration problem, reported as one line naming the offending key; exit code 2. */
export const CONFIG_EXIT_CODE = 2;

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    detail: string,
  ) {
    super(`invalid value for ${key}: ${detail}`);
    this.name = 'ConfigError';
  }
}
