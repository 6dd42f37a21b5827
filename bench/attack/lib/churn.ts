/** The departure-churn generator (bench/attack/churner.ts): its IPC command and a client. */
import { join } from 'node:path';
import { z } from 'zod';
import { Agent } from '../../lib/agent.js';
import { RawPeer } from './wire.js';

export interface ChurnCounts {
  cycles: number;
  failures: number;
}

/**
 * One churn loop: connect, handshake, `act` on the joined peer (e.g. send one message), close,
 * until `stopped()`; accepted cycles and refusals/failures are added to `counts`.
 */
export async function churnLoop(port: number, network: string, stopped: () => boolean, act: (p: RawPeer) => void, counts: ChurnCounts): Promise<void> {
  while (!stopped()) {
    try {
      const p = await RawPeer.joined(port, network, undefined, undefined, 5_000);
      if (p.accepted) {
        act(p);
        counts.cycles++;
      } else counts.failures++;
      p.close();
    } catch {
      counts.failures++;
    }
  }
}

export const ChurnCommand = z.object({
  op: z.literal('churn'),
  port: z.number().int(),
  network: z.string(),
  loops: z.number().int().min(1),
  sinks: z.number().int().min(1),
  seconds: z.number().positive(),
});

export const ChurnResult = z.object({ cycles: z.number().int(), failures: z.number().int(), seconds: z.number(), sinks: z.number().int() });

/** Runs `loops` churn loops for `seconds` in a child process; resolves with what they did. */
export async function churnInChild(root: string, cmd: Omit<z.infer<typeof ChurnCommand>, 'op'>): Promise<z.infer<typeof ChurnResult>> {
  const agent = new Agent<z.infer<typeof ChurnCommand>>('churner', join(root, 'dist', 'bench', 'attack', 'churner.js'));
  try {
    return await agent.request({ op: 'churn', ...cmd }, ChurnResult, cmd.seconds * 1000 + 60_000);
  } finally {
    agent.kill();
  }
}
