/** The performance section's attack generator (bench/attack/flooder.ts): its IPC commands and a client. */
import { join } from 'node:path';
import { z } from 'zod';
import { Agent } from '../../lib/agent.js';

export const FLOOD_MIXES = ['orderbook', 'pubmsg'] as const;
export type FloodMix = (typeof FLOOD_MIXES)[number];

export const FloodCommand = z.discriminatedUnion('op', [
  z.object({ op: z.literal('init'), port: z.number().int(), network: z.string() }),
  z.object({ op: z.literal('attackers'), count: z.number().int().min(0), mix: z.enum(FLOOD_MIXES) }),
  z.object({ op: z.literal('slowloris'), count: z.number().int().min(0) }),
  z.object({ op: z.literal('stats') }),
  z.object({ op: z.literal('stop') }),
]);
export type FloodCommandT = z.infer<typeof FloodCommand>;

export const FloodStats = z.object({
  attackers: z.number().int(),
  attackersOpen: z.number().int(),
  attackersCut: z.number().int(),
  attackersRefused: z.number().int(),
  slowloris: z.number().int(),
  slowlorisOpen: z.number().int(),
  slowlorisClosedByDn: z.number().int(),
  messagesSent: z.number().int(),
  bytesIn: z.number(),
});
export type FloodStatsT = z.infer<typeof FloodStats>;

export class Flooder {
  private readonly agent: Agent<FloodCommandT>;

  constructor(root: string) {
    this.agent = new Agent('flooder', join(root, 'dist', 'bench', 'attack', 'flooder.js'));
  }

  async init(port: number, network: string): Promise<void> {
    await this.agent.request({ op: 'init', port, network }, z.unknown());
  }

  async attackers(count: number, mix: FloodMix): Promise<number> {
    return (await this.agent.request({ op: 'attackers', count, mix }, z.object({ connected: z.number() }), 300_000)).connected;
  }

  async slowloris(count: number): Promise<number> {
    return (await this.agent.request({ op: 'slowloris', count }, z.object({ connected: z.number() }), 300_000)).connected;
  }

  stats(): Promise<FloodStatsT> {
    return this.agent.request({ op: 'stats' }, FloodStats);
  }

  stop(): Promise<FloodStatsT> {
    return this.agent.request({ op: 'stop' }, FloodStats);
  }

  kill(): void {
    this.agent.kill();
  }
}
