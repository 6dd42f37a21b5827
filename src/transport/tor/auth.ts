/** PROTOCOLINFO and AUTHENTICATE: picks SAFECOOKIE, COOKIE, HASHEDPASSWORD or NULL as tor offers. */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { TorControlClient } from './control-client.js';
import { TorAuthError, TorControlReplyError } from './errors.js';
import { parseReplyArgs, quoteString } from './reply-args.js';

export type AuthMethod = 'SAFECOOKIE' | 'COOKIE' | 'HASHEDPASSWORD' | 'NULL';

export interface ProtocolInfo {
  methods: string[];
  cookieFile: string | undefined;
  torVersion: string;
}

export interface ControlAuth {
  /** Plain password for HASHEDPASSWORD. */
  password?: string;
  /** Overrides the COOKIEFILE that tor reports (e.g. a path mapped into a container). */
  cookieFile?: string;
  /** Force one method (tests, or an operator who wants to be explicit); it must be offered. */
  method?: AuthMethod;
}

const SERVER_KEY = 'Tor safe cookie authentication server-to-controller hash';
const CLIENT_KEY = 'Tor safe cookie authentication controller-to-server hash';

const protocolInfoSchema = z.object({
  methods: z.array(z.string().regex(/^[A-Z]+$/)).min(1),
  cookieFile: z.string().min(1).optional(),
  torVersion: z.string().regex(/^[0-9]+(\.[0-9]+)*/),
});

export async function protocolInfo(client: TorControlClient): Promise<ProtocolInfo> {
  const reply = await client.command('PROTOCOLINFO 1');
  let methods: string[] = [];
  let cookieFile: string | undefined;
  let torVersion = '';
  try {
    for (const line of reply.lines) {
      if (line.text.startsWith('AUTH ')) {
        const kw = parseReplyArgs(line.text.slice(5)).keywords;
        methods = (kw.get('METHODS') ?? '').split(',').filter((m) => m.length > 0);
        cookieFile = kw.get('COOKIEFILE');
      } else if (line.text.startsWith('VERSION ')) {
        torVersion = parseReplyArgs(line.text.slice(8)).keywords.get('Tor') ?? '';
      }
    }
  } catch (err) {
    throw new TorAuthError(`malformed PROTOCOLINFO reply: ${(err as Error).message}`);
  }
  const parsed = protocolInfoSchema.safeParse({ methods, cookieFile, torVersion });
  if (!parsed.success) throw new TorAuthError(`unexpected PROTOCOLINFO reply: ${z.prettifyError(parsed.error)}`);
  return { methods: parsed.data.methods, cookieFile: parsed.data.cookieFile, torVersion: parsed.data.torVersion };
}

async function readCookie(path: string): Promise<Buffer> {
  let cookie: Buffer;
  try {
    cookie = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint =
      code === 'EACCES'
        ? ' (permission denied: run as a member of the group that owns it, e.g. `usermod -aG debian-tor <user>`, or use --tor-password)'
        : '';
    throw new TorAuthError(`cannot read tor control cookie ${path}: ${code ?? (err as Error).message}${hint}`, { cause: err });
  }
  if (cookie.length !== 32) throw new TorAuthError(`tor control cookie ${path} has ${cookie.length} bytes, expected 32`);
  return cookie;
}

function hmac(key: string, ...parts: Buffer[]): Buffer {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Computes the SAFECOOKIE controller hash after checking tor's server hash (control-spec §3.24). */
export function safeCookieResponse(cookie: Buffer, clientNonce: Buffer, serverNonce: Buffer, serverHash: Buffer): Buffer {
  const expected = hmac(SERVER_KEY, cookie, clientNonce, serverNonce);
  if (serverHash.length !== expected.length || !timingSafeEqual(serverHash, expected)) {
    throw new TorAuthError('tor SAFECOOKIE server hash mismatch: the cookie file does not belong to this tor');
  }
  return hmac(CLIENT_KEY, cookie, clientNonce, serverNonce);
}

function chooseMethod(info: ProtocolInfo, auth: ControlAuth): AuthMethod {
  const offered = new Set(info.methods);
  const cookiePath = auth.cookieFile ?? info.cookieFile;
  if (auth.method) {
    if (!offered.has(auth.method)) throw new TorAuthError(`tor does not offer ${auth.method} authentication (offers ${info.methods.join(',')})`);
    return auth.method;
  }
  if (auth.password !== undefined && offered.has('HASHEDPASSWORD')) return 'HASHEDPASSWORD';
  if (offered.has('NULL')) return 'NULL';
  if (cookiePath && offered.has('SAFECOOKIE')) return 'SAFECOOKIE';
  if (cookiePath && offered.has('COOKIE')) return 'COOKIE';
  const need = offered.has('HASHEDPASSWORD') ? ' (give --tor-password)' : '';
  throw new TorAuthError(`no usable tor control authentication: tor offers ${info.methods.join(',')}${need}`);
}

/** Authenticates; returns the method used. Tor closes the connection after a refused AUTHENTICATE. */
export async function authenticate(client: TorControlClient, auth: ControlAuth = {}, info?: ProtocolInfo): Promise<AuthMethod> {
  const pi = info ?? (await protocolInfo(client));
  const method = chooseMethod(pi, auth);
  try {
    if (method === 'NULL') {
      await client.command('AUTHENTICATE');
    } else if (method === 'HASHEDPASSWORD') {
      await client.command(`AUTHENTICATE ${quoteString(auth.password ?? '')}`);
    } else {
      const cookiePath = auth.cookieFile ?? pi.cookieFile;
      if (!cookiePath) throw new TorAuthError(`${method} authentication needs a cookie file (tor reported none; pass --tor-cookie-file)`);
      const cookie = await readCookie(cookiePath);
      if (method === 'COOKIE') {
        await client.command(`AUTHENTICATE ${cookie.toString('hex')}`);
      } else {
        const clientNonce = randomBytes(32);
        const reply = await client.command(`AUTHCHALLENGE SAFECOOKIE ${clientNonce.toString('hex')}`);
        const kw = parseReplyArgs(reply.lines[0]?.text ?? '').keywords;
        const serverHash = kw.get('SERVERHASH') ?? '';
        const serverNonce = kw.get('SERVERNONCE') ?? '';
        if (!/^[0-9A-Fa-f]{64}$/.test(serverHash) || !/^[0-9A-Fa-f]+$/.test(serverNonce) || serverNonce.length % 2) {
          throw new TorAuthError('malformed AUTHCHALLENGE reply from tor');
        }
        const response = safeCookieResponse(cookie, clientNonce, Buffer.from(serverNonce, 'hex'), Buffer.from(serverHash, 'hex'));
        await client.command(`AUTHENTICATE ${response.toString('hex')}`);
      }
    }
  } catch (err) {
    if (err instanceof TorControlReplyError) {
      throw new TorAuthError(`tor refused ${method} authentication: ${err.code} ${err.replyText}`, { cause: err });
    }
    throw err;
  }
  return method;
}
