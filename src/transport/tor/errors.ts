/** Typed errors of the Tor transport layer, so callers can react without parsing messages. */

/** Base class: every error thrown by src/transport/tor is one of these. */
export class TorError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Tor answered a command with a 4xx/5xx status. */
export class TorControlReplyError extends TorError {
  constructor(
    readonly command: string,
    readonly code: number,
    readonly replyText: string,
  ) {
    super(`tor rejected ${command}: ${code} ${replyText}`);
  }
}

/** The control connection closed (or failed) while a command was pending or being sent. */
export class TorControlClosedError extends TorError {}

/** No reply within the command's timeout. */
export class TorControlTimeoutError extends TorError {}

/** The control port sent bytes that do not follow the control-spec grammar. */
export class TorControlProtocolError extends TorError {}

/** Authentication impossible or refused (wrong password, unreadable cookie, no usable method). */
export class TorAuthError extends TorError {}

/** Configuration or environment problem (tor missing, bad key file, bad hostname file, ...). */
export class TorSetupError extends TorError {}
