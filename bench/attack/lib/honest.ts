/**
 * Honest peers, in their own process so the attack traffic the runner generates does not slow
 * them down: a persistent pair that joins before an attack and stays, and a fresh pair per
 * check. "Served" = the handshake is accepted and a pubmsg from one arrives at the other
 * within 2 s. A line over the receivers' limit counts as a disconnect (that is what every real
 * client does with it).
 */
import { join } from 'node:path';
import { z } from 'zod';
import { Agent } from '../../lib/agent.js';

export const HonestCommand = z.discriminatedUnion('op', [
  z.object({ op: z.literal('join'), port: z.number().int(), network: z.string() }),
  z.object({ op: z.literal('check'), timeoutMs: z.number().int().positive() }),
  z.object({ op: z.literal('reset') }),
]);
export type HonestCommandT = z.infer<typeof HonestCommand>;

export const JoinResult = z.object({ ok: z.boolean(), nicks: z.array(z.string()), handshakeMs: z.number().nullable(), error: z.string().nullable() });
export const PairResult = z.object({ ok: z.boolean(), accepted: z.boolean(), handshakeMs: z.number().nullable(), deliverMs: z.number().nullable(), error: z.string().nullable() });
export const CheckResult = z.object({ fresh: PairResult, persistent: PairResult, lost: z.number().int(), oversizeLines: z.number().int() });
export type CheckResultT = z.infer<typeof CheckResult>;

export interface HonestVerdict {
  ok: boolean;
  detail: string;
}

const fmt = (ms: number | null): string => (ms === null ? '—' : `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`);

/** `handshakeOnly`: the fresh pair's pubmsg is reported, not judged (see AttackSpec.freshHandshakeOnly). */
export function describeCheck(c: CheckResultT, handshakeOnly = false): string {
  const fresh = c.fresh.ok
    ? `fresh pair hs ${fmt(c.fresh.handshakeMs)} msg ${fmt(c.fresh.deliverMs)}`
    : handshakeOnly && c.fresh.accepted
      ? `fresh pair hs ${fmt(c.fresh.handshakeMs)}, msg not judged (${c.fresh.error})`
      : `fresh pair FAILED (${c.fresh.error})`;
  const parts = [
    fresh,
    c.persistent.ok ? `joined pair msg ${fmt(c.persistent.deliverMs)}` : `joined pair FAILED (${c.persistent.error})`,
  ];
  if (c.oversizeLines > 0) parts.push(`${c.oversizeLines} over-limit lines received`);
  return parts.join('; ');
}

export class HonestPeers {
  private readonly agent: Agent<HonestCommandT>;

  constructor(root: string) {
    this.agent = new Agent('honest peers', join(root, 'dist', 'bench', 'attack', 'honest-agent.js'));
  }

  join(port: number, network: string): Promise<z.infer<typeof JoinResult>> {
    return this.agent.request({ op: 'join', port, network }, JoinResult, 30_000);
  }

  check(timeoutMs = 2_000): Promise<CheckResultT> {
    return this.agent.request({ op: 'check', timeoutMs }, CheckResult, 60_000);
  }

  async reset(): Promise<void> {
    await this.agent.request({ op: 'reset' }, z.unknown(), 10_000);
  }

  kill(): void {
    this.agent.kill();
  }
}
