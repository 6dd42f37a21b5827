/** A configuration problem, reported as one line naming the offending key; exit code 2. */
export const CONFIG_EXIT_CODE = 2;

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    detail: string,
    message = `invalid value for ${key}: ${detail}`,
  ) {
    super(message);
    this.name = 'ConfigError';
  }

  /** Worded like every jm-* command's missing-option error. */
  static missing(key: string, alternatives: string): ConfigError {
    return new ConfigError(key, 'required', `${key} is required (${alternatives})`);
  }
}
