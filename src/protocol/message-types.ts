/**
 * Message type codes of the onion message channel (wire-protocol.md §1.4).
 * 785, 787 and 797 exist only inside the reference's process and 801 makes a reference peer
 * drop the connection: they are listed so we can refuse to emit them, never to send them.
 */
export const MsgType = {
  PRIVMSG: 685,
  PUBMSG: 687,
  PEERLIST: 789,
  GETPEERLIST: 791,
  HANDSHAKE: 793,
  DN_HANDSHAKE: 795,
  PING: 798,
  PONG: 799,
  DISCONNECT: 801,
  /** Nick authentication (JMP-0005, §2.8): challenge, proof, result. */
  NICK_AUTH_CHALLENGE: 803,
  NICK_AUTH_PROOF: 805,
  NICK_AUTH_RESULT: 807,
} as const;

export type MsgTypeCode = (typeof MsgType)[keyof typeof MsgType];

/** Codes we must never put on the wire (reference-internal or connection-killing). */
export const FORBIDDEN_ON_WIRE: ReadonlySet<number> = new Set([785, 787, 797, 801]);

/** Who may send a type: 'client' (non-directory peer) or 'directory'. */
export const SENDERS: Readonly<Record<MsgTypeCode, ReadonlyArray<'client' | 'directory'>>> = {
  [MsgType.PRIVMSG]: ['client'],
  [MsgType.PUBMSG]: ['client', 'directory'],
  [MsgType.PEERLIST]: ['directory'],
  [MsgType.GETPEERLIST]: ['client'],
  [MsgType.HANDSHAKE]: ['client'],
  [MsgType.DN_HANDSHAKE]: ['directory'],
  [MsgType.PING]: ['directory', 'client'],
  [MsgType.PONG]: ['client', 'directory'],
  [MsgType.DISCONNECT]: [],
  [MsgType.NICK_AUTH_CHALLENGE]: ['directory'],
  [MsgType.NICK_AUTH_PROOF]: ['client'],
  [MsgType.NICK_AUTH_RESULT]: ['directory'],
};

export function isNickAuthType(t: number): boolean {
  return t === MsgType.NICK_AUTH_CHALLENGE || t === MsgType.NICK_AUTH_PROOF || t === MsgType.NICK_AUTH_RESULT;
}

export function isKnownType(t: number): t is MsgTypeCode {
  return Object.prototype.hasOwnProperty.call(SENDERS, t);
}
