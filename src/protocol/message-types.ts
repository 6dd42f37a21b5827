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
};

export function isKnownType(t: number): t is MsgTypeCode {
  return Object.prototype.hasOwnProperty.call(SENDERS, t);
}
