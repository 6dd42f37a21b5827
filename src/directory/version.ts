/** Our package version for the MOTD banner, read from the nearest package.json. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const PackageJson = z.object({ name: z.string(), version: z.string() });

let cached: string | null = null;

export function packageVersion(): string {
  if (cached !== null) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const f = path.join(dir, 'package.json');
    if (existsSync(f)) {
      const r = PackageJson.safeParse(JSON.parse(readFileSync(f, 'utf8')));
      if (r.success && r.data.name === 'joinmarket-ts') return (cached = r.data.version);
    }
    dir = path.dirname(dir);
  }
  return (cached = '0.0.0');
}
