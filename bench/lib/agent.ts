/**
 * Driving a forked helper process (honest prober, attack generator) over IPC: requests carry
 * an id, replies are matched by it and parsed with zod, every request has a timeout, and all
 * pending requests fail when the child exits.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { z } from 'zod';

export const ReplySchema = z.object({ id: z.number().int(), ok: z.boolean(), error: z.string().optional(), result: z.unknown().optional() });

export class Agent<Cmd extends { op: string }> {
  readonly child: ChildProcess;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(readonly label: string, script: string, execArgv: string[] = []) {
    this.child = fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
    this.child.on('message', (m: unknown) => {
      const r = ReplySchema.safeParse(m);
      if (!r.success) return;
      const w = this.waiting.get(r.data.id);
      if (!w) return;
      this.waiting.delete(r.data.id);
      if (r.data.ok) w.resolve(r.data.result);
      else w.reject(new Error(`${label}: ${r.data.error ?? 'failed'}`));
    });
    this.child.on('exit', () => {
      for (const w of this.waiting.values()) w.reject(new Error(`${label} exited`));
      this.waiting.clear();
    });
  }

  request<T>(cmd: Cmd, schema: z.ZodType<T>, timeoutMs = 120_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((res, rej) => {
      if (!this.child.connected) return rej(new Error(`${this.label} is not running`));
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        rej(new Error(`${this.label}: ${cmd.op} timed out`));
      }, timeoutMs);
      this.waiting.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          const p = schema.safeParse(v);
          if (p.success) res(p.data);
          else rej(new Error(`${this.label}: bad ${cmd.op} reply: ${p.error.message}`));
        },
        reject: (e) => {
          clearTimeout(timer);
          rej(e);
        },
      });
      this.child.send({ id, cmd });
    });
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

/** The child's side: parse each request with `schema`, answer with handle()'s result or error. */
export function serveAgent<Cmd>(schema: z.ZodType<Cmd>, handle: (cmd: Cmd) => Promise<unknown> | unknown): void {
  const Request = z.object({ id: z.number().int(), cmd: schema });
  process.on('message', (raw: unknown) => {
    const r = Request.safeParse(raw);
    if (!r.success) {
      process.send?.({ id: -1, ok: false, error: `bad request: ${r.error.message}` });
      return;
    }
    const { id, cmd } = r.data;
    Promise.resolve()
      .then(() => handle(cmd))
      .then(
        (result) => process.send?.({ id, ok: true, result: result ?? null }),
        (err: unknown) => process.send?.({ id, ok: false, error: err instanceof Error ? err.message : String(err) }),
      );
  });
  process.on('disconnect', () => process.exit(0));
}
