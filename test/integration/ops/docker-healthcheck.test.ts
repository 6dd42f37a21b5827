/**
 * The Dockerfile's HEALTHCHECK, run exactly as written (parsed from the file), against a
 * jm-directory configured the way the image configures it (the health address from the
 * Dockerfile's ENV variable, no flag). The image itself is not built here (no Docker engine):
 * this is the part of it that can be checked without one.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CliProcess, stopCliProcesses } from '../../helpers/cli-process.js';
import { DnPeer, testNick } from '../../helpers/dn-peer.js';
import { REPO_ROOT } from '../../helpers/wire-fixtures.js';

/** Joins the Dockerfile's continuation lines into instructions. */
function instructions(text: string): string[] {
  return text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}

const dockerfile = instructions(readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8'));

function healthcheckCommand(): string[] {
  const hc = dockerfile.filter((l) => /^HEALTHCHECK\s/.test(l));
  expect(hc).toHaveLength(1);
  const m = /\sCMD\s+(\[.*\])\s*$/.exec(hc[0]!);
  if (!m) throw new Error(`HEALTHCHECK is not in exec form: ${hc[0]}`);
  return z.array(z.string()).min(1).parse(JSON.parse(m[1]!));
}

/** The variable names the runtime stage sets with ENV, e.g. JM_DIRECTORY_HTTP. */
function envValue(name: string): string | undefined {
  for (const l of dockerfile.filter((x) => x.startsWith('ENV '))) {
    const m = new RegExp(`(?:^ENV|\\s)${name}=(\\S+)`).exec(l);
    if (m) return m[1];
  }
  return undefined;
}

/** Runs the healthcheck command as Docker would (exec form), with the container's health address. */
function runHealthcheck(cmd: string[], http: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd[0]!, cmd.slice(1), { env: { ...process.env, JM_DIRECTORY_HTTP: http }, stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000); // the HEALTHCHECK's --timeout
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const peers: DnPeer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) p.destroy();
  await stopCliProcesses();
});

describe('Dockerfile HEALTHCHECK', () => {
  it('fails without a DN, passes once jm-directory serves /health, fails while it is full and after it stopped', async () => {
    const cmd = healthcheckCommand();
    expect(cmd[0]).toBe('node');
    // The image sets the health address by environment so that a replaced CMD keeps it.
    expect(envValue('JM_DIRECTORY_HTTP')).toBe('127.0.0.1:8089');
    const http = `127.0.0.1:${await freePort()}`;

    expect(await runHealthcheck(cmd, http)).not.toBe(0); // nothing listens yet

    const dn = CliProcess.start('jm-directory', ['--transport', 'tcp', '--listen', '127.0.0.1:0', '--network', 'testnet', '--max-peers', '1'], { env: { JM_DIRECTORY_HTTP: http } });
    const ready = await dn.jsonLine('stdout', (l) => l.msg === 'ready', 30_000, 'the ready line');
    expect(ready.http).toBe(http);
    expect(await runHealthcheck(cmd, http)).toBe(0);

    // A full DN answers /health with 503: unhealthy, as the Dockerfile's comment says.
    const peer = await DnPeer.joined(ready.port as number, { nick: testNick('healthcheck'), features: { ping: true } });
    peers.push(peer);
    expect((await fetch(`http://${http}/health`)).status).toBe(503);
    expect(await runHealthcheck(cmd, http)).not.toBe(0);
    peer.destroy();
    await peer.closed;
    await until(async () => (await fetch(`http://${http}/health`)).status === 200);
    expect(await runHealthcheck(cmd, http)).toBe(0);

    expect(await dn.stop()).toBe(0);
    expect(await runHealthcheck(cmd, http)).not.toBe(0);
  });
});

/** Polls `cond` (an HTTP status the DN updates when it sees the close) for up to 10 s. */
async function until(cond: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + 10_000;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met within 10 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}
