/**
 * The churn generator of the departure-churn row (bench/attack/attacks/dn-departures.ts),
 * driven over IPC so that its load does not slow the runner's measuring peers: sinks that read
 * everything, and loops that connect, handshake, privmsg a sink (so the nick becomes known to
 * the directory), and close, as fast as the directory answers.
 */
import { z } from 'zod';
import { MsgType } from '../../src/protocol/message-types.js';
import { serveAgent } from '../lib/agent.js';
import { RawPeer, openMany, sleep } from './lib/wire.js';
import { ChurnCommand, churnLoop } from './lib/churn.js';

serveAgent(ChurnCommand, async (cmd: z.infer<typeof ChurnCommand>) => {
  const sinks = (await openMany(cmd.sinks, cmd.sinks, () => RawPeer.joined(cmd.port, cmd.network))).ok;
  if (sinks.length === 0) throw new Error('no sink could join');
  const counts = { cycles: 0, failures: 0 };
  let stop = false;
  const privmsgSink = (p: RawPeer): void => {
    const sink = sinks[counts.cycles % sinks.length]!;
    p.send(MsgType.PRIVMSG, `${p.nick}!${sink.nick}!hi sig`);
  };
  const t0 = performance.now();
  const loops = Array.from({ length: cmd.loops }, () => churnLoop(cmd.port, cmd.network, () => stop, privmsgSink, counts));
  await sleep(cmd.seconds * 1000);
  stop = true;
  await Promise.all(loops);
  const seconds = (performance.now() - t0) / 1000;
  for (const s of sinks) s.close();
  return { ...counts, seconds, sinks: sinks.length };
});
