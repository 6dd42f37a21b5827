/**
 * Attack section "directory": each attack against a fresh `jm-directory --transport tcp`
 * child process (bench/attack/attacks/dn-*.ts), defects of the hostile-network review first.
 */
import type { SectionRun } from '../types.js';
import { runAttacks } from '../lib/scenario.js';
import { FLOAT_HANDSHAKE, GETPEERLIST_AMPLIFICATION, OWN_NICK, RELAY_GROWTH, SPOOFED_NICK, TAKEOVER } from '../attacks/dn-wire.js';
import { BURST_VS_SLOW_HONEST, DRIP_AFTER_HANDSHAKE, MALFORMED_AFTER, MALFORMED_BEFORE, NON_READERS, OVERSIZE_AFTER, OVERSIZE_BEFORE, SLOWLORIS, SLOW_READERS } from '../attacks/dn-bytes.js';
import { CHURN, ORDERBOOK_FLOOD, PENDING_CAP_FLOOD, SIGTERM_UNDER_LOAD } from '../attacks/dn-load.js';
import { PRIVMSG_TARGET_FLOOD } from '../attacks/dn-privmsg.js';
import { DEPARTURE_CHURN } from '../attacks/dn-departures.js';

export const DIRECTORY_ATTACKS = [
  ...RELAY_GROWTH, DRIP_AFTER_HANDSHAKE, NON_READERS, OWN_NICK, FLOAT_HANDSHAKE, GETPEERLIST_AMPLIFICATION,
  MALFORMED_BEFORE, MALFORMED_AFTER, OVERSIZE_BEFORE, OVERSIZE_AFTER, SLOWLORIS, SLOW_READERS, BURST_VS_SLOW_HONEST, PRIVMSG_TARGET_FLOOD, SPOOFED_NICK, TAKEOVER,
  ORDERBOOK_FLOOD, CHURN, PENDING_CAP_FLOOD, DEPARTURE_CHURN, SIGTERM_UNDER_LOAD,
];

export const run: SectionRun = (ctx) => runAttacks('directory', DIRECTORY_ATTACKS, ctx);
