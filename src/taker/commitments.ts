/**
 * The taker's record of PoDLE commitments it has sent (coinjoin-protocol.md §6.2), in REF's
 * `commitments.json` shape `{"used": [hex…], "external": {…}}`; `external` is kept as read.
 * A commitment is recorded before it is sent, so a crash can never lead to reuse.
 */
import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic } from '../util/atomic-file.js';

const fileSchema = z.object({
  used: z.array(z.string().regex(/^[0-9a-fA-F]{64}$/)),
  external: z.record(z.string(), z.unknown()).default({}),
});

export class TakerCommitments {
  private readonly used: Set<string>;
  private external: Record<string, unknown>;

  private constructor(private readonly path: string | null, used: string[], external: Record<string, unknown>) {
    this.used = new Set(used.map((u) => u.toLowerCase()));
    this.external = external;
  }

  static memory(): TakerCommitments {
    return new TakerCommitments(null, [], {});
  }

  static async load(path: string): Promise<TakerCommitments> {
    let text: string;
    try {
      text = await fs.readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new TakerCommitments(path, [], {});
      throw new Error(`cannot read ${path}: ${(e as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`${path} is not JSON`);
    }
    const r = fileSchema.safeParse(json);
    if (!r.success) throw new Error(`${path}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return new TakerCommitments(path, r.data.used, r.data.external);
  }

  isUsed(hex: string): boolean {
    return this.used.has(hex.toLowerCase());
  }

  get size(): number {
    return this.used.size;
  }

  async add(hex: string): Promise<void> {
    this.used.add(hex.toLowerCase());
    if (this.path === null) return;
    const body = JSON.stringify({ used: [...this.used], external: this.external }, null, 2);
    await writeFileAtomic(this.path, body, { overwrite: true });
  }
}
