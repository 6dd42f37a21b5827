/**
 * Nick authentication (wire-protocol.md §2.8) over real sockets: the exchange as ng runs it,
 * every refusal code (policy included: admission refusing a verified proof), out-of-order messages, require/off modes, the squatting scenario, and our
 * DirectoryClient against the DN.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { DirectoryClient, NickIdentity, type DirectoryClientEvents } from '../../../src/client/index.js';
import { bytesToHex, messageHash, publicKeyOf, signDigestDer, toBase64 } from '../../../src/protocol/crypto.js';
import { buildClientHandshake } from '../../../src/protocol/handshake.js';
import { MsgType } from '../../../src/protocol/message-types.js';
import { buildProof, handshakeSha256, nickAuthMessage, parseChallenge, parseResult, signNickAuthProof } from '../../../src/protocol/nick-auth.js';
import { nickFromPrivateKey } from '../../../src/protocol/nick.js';
import { NOT_SERVING_ONION } from '../../../src/protocol/onion.js';
import type { DirectoryServer } from '../../../src/directory/index.js';
import { DnPeer, closesWithin, startTestDirectory, testNick } from '../../helpers/dn-peer.js';

const FEATURES = { nick_auth: true, peerlist_features: true, ping: true };

let dn: DirectoryServer;
let port = 0;
const peers: DnPeer[] = [];
const clients: DirectoryClient[] = [];

afterEach(async () => {
  for (const p of peers.splice(0)) p.destroy();
  await Promise.all(clients.splice(0).map((c) => c.stop()));
  await dn?.stop();
});

async function start(nickAuth: Parameters<typeof startTestDirectory>[0] = {}): Promise<void> {
  ({ dn, port } = await startTestDirectory(nickAuth));
}

/** Connects, sends an ng-style handshake and reads 795 + 803. */
async function challenged(key: Uint8Array, extra: { features?: Record<string, boolean>; location?: string } = {}) {
  const p = await DnPeer.connect(port);
  peers.push(p);
  const nick = nickFromPrivateKey(key);
  const line = buildClientHandshake({ nick, location: extra.location ?? NOT_SERVING_ONION, network: 'testnet', features: extra.features ?? FEATURES });
  p.send(MsgType.HANDSHAKE, line);
  const hs = await p.nextEnvelope();
  expect(hs.type).toBe(MsgType.DN_HANDSHAKE);
  expect(JSON.parse(hs.line)).toMatchObject({ accepted: true, features: { nick_auth: true, peerlist_features: true, ping: true } });
  const ch = await p.nextEnvelope();
  expect(ch.type).toBe(MsgType.NICK_AUTH_CHALLENGE);
  const c = parseChallenge(ch.line);
  if (!c.ok) throw new Error(c.reason);
  return { p, nick, line, challenge: c.value };
}

async function result(p: DnPeer): Promise<string> {
  const env = await p.nextEnvelope();
  expect(env.type).toBe(MsgType.NICK_AUTH_RESULT);
  const r = parseResult(env.line);
  if (!r.ok) throw new Error(r.reason);
  return r.value.code;
}

async function verifiedPeer(key: Uint8Array, location?: string): Promise<DnPeer> {
  const { p, nick, line, challenge } = await challenged(key, { location });
  p.send(MsgType.NICK_AUTH_PROOF, buildProof(signNickAuthProof(key, challenge, line, nick)));
  expect(await result(p)).toBe('ok');
  return p;
}

describe('nick authentication on the directory', () => {
  it('runs 795 → 803 → 805 → 807 ok with directory-id = the listen address; the peer is then routed and answers PING', async () => {
    await start();
    const key = randomBytes(32);
    const { p, nick, line, challenge } = await challenged(key);
    expect(challenge.directoryId).toBe(`127.0.0.1:${port}`);
    expect(challenge.challenge).toMatch(/^[0-9a-f]{64}$/);
    // Not registered before the proof: nobody can reach it yet.
    expect(dn.registry.byNick(nick)).toBeUndefined();
    p.send(MsgType.NICK_AUTH_PROOF, buildProof(signNickAuthProof(key, challenge, line, nick)));
    expect(await result(p)).toBe('ok');
    expect(dn.registry.byNick(nick)?.verifiedPubkey).toBe(bytesToHex(publicKeyOf(key)));
    const otherNick = testNick('02' + '11'.repeat(32));
    const other = await DnPeer.joined(port, { nick: otherNick, features: { ping: true } });
    peers.push(other);
    other.send(MsgType.PUBMSG, `${otherNick}!PUBLIC!hello`);
    expect((await p.nextOfType(MsgType.PUBMSG)).line).toMatch(/!PUBLIC!hello$/);
    await p.barrier();
    expect(dn.stats.nickAuth).toMatchObject({ challenged: 1, ok: 1 });
  });

  it('refuses a valid signature by another key claimed for the nick (807 invalid) and closes', async () => {
    await start();
    const key = randomBytes(32);
    const { p, nick, line, challenge } = await challenged(key);
    const other = randomBytes(32);
    const otherPub = bytesToHex(publicKeyOf(other));
    const digest = messageHash(nickAuthMessage(challenge.challenge, challenge.directoryId, handshakeSha256(line), nick, otherPub));
    p.send(MsgType.NICK_AUTH_PROOF, buildProof({ pubkey: otherPub, signature: toBase64(signDigestDer(digest, other)) }));
    expect(await result(p)).toBe('invalid');
    expect(await closesWithin(p)).toBe(true);
    expect(dn.registry.byNick(nick)).toBeUndefined();
  });

  it('refuses a proof over a challenge the directory never issued (807 invalid)', async () => {
    await start();
    const key = randomBytes(32);
    const { p, nick, line, challenge } = await challenged(key);
    p.send(MsgType.NICK_AUTH_PROOF, buildProof(signNickAuthProof(key, { ...challenge, challenge: 'ab'.repeat(32) }, line, nick)));
    expect(await result(p)).toBe('invalid');
    expect(await closesWithin(p)).toBe(true);
  });

  it('refuses a proof for another directory id or another handshake line (807 invalid)', async () => {
    await start();
    for (const tamper of [(c: { challenge: string; directoryId: string }, l: string) => [{ ...c, directoryId: 'test:other' }, l] as const, (c: { challenge: string; directoryId: string }, l: string) => [c, l.replaceAll('": ', '":')] as const]) {
      const key = randomBytes(32);
      const { p, nick, line, challenge } = await challenged(key);
      const [c2, l2] = tamper(challenge, line);
      p.send(MsgType.NICK_AUTH_PROOF, buildProof(signNickAuthProof(key, c2, l2, nick)));
      expect(await result(p)).toBe('invalid');
    }
  });

  it('malformed proofs, other messages during the exchange and late auth messages', async () => {
    await start();
    // null: the tampering does not apply to this signature; the exchange is dropped and retried with another key.
    const cases: Array<(nick: string, proof: string) => [number, string] | null> = [
      (_n, proof) => [MsgType.NICK_AUTH_PROOF, proof.replace('{"pubkey"', '{"pubkey":"x","pubkey"')], // duplicate key
      (_n, proof) => [MsgType.NICK_AUTH_PROOF, proof.replace('}', ',"extra":true}')],
      // Non-canonical base64 (padding stripped). A DER signature of 69 bytes (about 1 in 270) has no
      // padding to strip: the "tampered" proof would be the valid one, answered 807 ok.
      (_n, proof) => (/"signature":"[^"]+="/.test(proof) ? [MsgType.NICK_AUTH_PROOF, proof.replace(/"signature":"([^"=]+)=+"/, '"signature":"$1"')] : null),
      (nick) => [MsgType.PUBMSG, `${nick}!PUBLIC!orderbook`], // out of order
    ];
    for (const mk of cases) {
      for (;;) {
        const key = randomBytes(32);
        const { p, nick, line, challenge } = await challenged(key);
        const msg = mk(nick, buildProof(signNickAuthProof(key, challenge, line, nick)));
        if (msg === null) {
          p.destroy();
          continue;
        }
        p.send(...msg);
        expect(await result(p)).toBe('malformed');
        expect(await closesWithin(p)).toBe(true);
        break;
      }
    }
    // After a completed exchange, another auth message is a protocol violation: disconnect.
    const p = await verifiedPeer(randomBytes(32));
    p.send(MsgType.NICK_AUTH_PROOF, '{}');
    expect(await closesWithin(p)).toBe(true);
    expect(dn.stats.nickAuth).toMatchObject({ malformed: 4, ok: 1 });
  });

  it('expires an exchange without a proof (807 expired)', async () => {
    await start({ nickAuth: { timeoutMs: 300 }, limits: { sweepIntervalMs: 50 } });
    const { p } = await challenged(randomBytes(32));
    expect(await result(p)).toBe('expired');
    expect(await closesWithin(p)).toBe(true);
  });

  it('refuses a verified proof that admission refuses (807 policy: the directory filled up during the exchange), counts it in /metrics and closes', async () => {
    await start({ limits: { maxPeers: 1 }, http: { host: '127.0.0.1', port: 0 } });
    const key = randomBytes(32);
    // Challenged while there is room: admission is decided when the proof arrives.
    const { p, nick, line, challenge } = await challenged(key);
    const first = await verifiedPeer(randomBytes(32));
    p.send(MsgType.NICK_AUTH_PROOF, buildProof(signNickAuthProof(key, challenge, line, nick)));
    expect(await result(p)).toBe('policy');
    expect(await closesWithin(p)).toBe(true);
    expect(dn.registry.byNick(nick)).toBeUndefined();
    await first.barrier();
    expect(first.isClosed).toBe(false);
    expect(dn.stats.nickAuth).toMatchObject({ challenged: 2, ok: 1, policy: 1, invalid: 0 });
    const http = dn.httpAddress!;
    const metrics = await (await fetch(`http://${http.host}:${http.port}/metrics`)).text();
    expect(metrics).toContain('jm_directory_nick_auth_total{event="policy"} 1');
    expect(metrics).toContain('jm_directory_nick_auth_total{event="ok"} 1');
  });

  it('require mode refuses legacy clients with the spec reason; off mode does not advertise', async () => {
    await start({ nickAuth: { mode: 'require' } });
    const legacy = await DnPeer.connect(port);
    peers.push(legacy);
    const reply = await legacy.handshake({ nick: testNick('legacy'), features: { ping: true } });
    expect(reply).toMatchObject({ accepted: false, motd: 'Rejected: verified nick authentication required' });
    await verifiedPeer(randomBytes(32));
    await dn.stop();
    await start({ nickAuth: { mode: 'off' } });
    const ng = await DnPeer.connect(port);
    peers.push(ng);
    const r2 = await ng.handshake({ nick: testNick('ng'), features: FEATURES });
    expect(r2.accepted).toBe(true);
    expect(r2.features).toEqual({ peerlist_features: true, ping: true });
    await ng.barrier(); // no 803 came
    expect(ng.unread).toEqual([]);
  });

  it('refuses to start in onion mode without an id it can stand behind', async () => {
    await expect(startTestDirectory({ mode: 'onion' })).rejects.toThrow(/no id to stand behind/);
    await start({ mode: 'onion', nickAuth: { directoryId: 'test:explicit-id' } });
    expect(dn.nickAuth.directoryId).toBe('test:explicit-id');
  });

  it('squatting: a verified claim displaces an unverified holder of the nick, never the other way round', async () => {
    await start();
    const key = randomBytes(32);
    const nick = nickFromPrivateKey(key);
    const squatter = await DnPeer.joined(port, { nick, features: { ping: true } });
    peers.push(squatter);
    const owner = await verifiedPeer(key);
    expect(await closesWithin(squatter)).toBe(true);
    expect(dn.stats.nickAuth.displaced).toBe(1);
    // The squatter comes back without a key: refused, whether it asks for nick-auth or not.
    const again = await DnPeer.connect(port);
    peers.push(again);
    expect(await again.handshake({ nick, features: { ping: true } })).toMatchObject({ accepted: false, motd: expect.stringContaining('nick already in use') });
    // The owner reconnecting with a fresh proof for the same key replaces its old connection.
    const owner2 = await verifiedPeer(key);
    expect(await closesWithin(owner)).toBe(true);
    await owner2.barrier();
    expect(dn.registry.byNick(nick)?.verifiedPubkey).toBe(bytesToHex(publicKeyOf(key)));
  });
});

function next<K extends keyof DirectoryClientEvents>(c: DirectoryClient, ev: K, ms = 10_000): Promise<DirectoryClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { off(); reject(new Error(`no ${String(ev)} within ${ms} ms (${c.lastError})`)); }, ms);
    const off = c.on(ev, (v) => { clearTimeout(t); off(); resolve(v); });
  });
}

describe('our DirectoryClient', () => {
  function client(o: Partial<ConstructorParameters<typeof DirectoryClient>[0]> = {}): DirectoryClient {
    const c = new DirectoryClient({ host: '127.0.0.1', port, identity: NickIdentity.random(), network: 'testnet', backoff: { initialMs: 50, maxMs: 200 }, ...o });
    clients.push(c);
    return c;
  }

  it('authenticates with a directory that offers nick-auth and shows it in its status', async () => {
    await start();
    const c = client();
    c.start();
    const info = await c.whenConnected(10_000);
    expect(info.nickVerified).toBe(true);
    expect(c.nickAuth).toEqual({ offered: true, verified: true, error: null });
    expect(dn.registry.byNick(c.nick)?.verifiedPubkey).toMatch(/^0[23][0-9a-f]{64}$/);
    expect(await c.requestPeerlist(5_000)).toEqual(expect.arrayContaining([expect.objectContaining({ nick: dn.nick })]));
  });

  it('does not authenticate with a directory that does not offer it, unless required', async () => {
    await start({ nickAuth: { mode: 'off' } });
    const c = client();
    c.start();
    expect((await c.whenConnected(10_000)).nickVerified).toBe(false);
    expect(c.nickAuth).toEqual({ offered: false, verified: false, error: null });
    const strict = client({ nickAuth: { mode: 'require' } });
    const gone = next(strict, 'disconnected');
    strict.start();
    expect((await gone).retryInMs).toBeNull();
    expect(strict.state).toBe('stopped');
  });

  it('treats a directory signing for another id as hostile for the session (no reconnect)', async () => {
    await start({ nickAuth: { directoryId: 'test:someone-else' } });
    const c = client();
    const gone = next(c, 'disconnected');
    c.start();
    const d = await gone;
    expect(d.reason).toMatch(/^hostile directory: challenge is for directory-id "test:someone-else"/);
    expect(d.retryInMs).toBeNull();
    expect(c.nickAuth.error).toMatch(/directory-id/);
    expect(dn.registry.byNick(c.nick)).toBeUndefined();
  });

  it('retries a directory that answers 807 policy (an honest refusal), and authenticates once admission allows it', async () => {
    // Without location proofs a verified holder owns its location: another verified claim for it is refused at admission.
    await start({ locationProofs: { enabled: false } });
    const location = '127.0.0.1:9911';
    const holder = await verifiedPeer(randomBytes(32), location);
    const c = client({ location });
    const gone = next(c, 'disconnected');
    c.start();
    const d = await gone;
    expect(d.reason).toBe('nick authentication: directory refused our proof: policy');
    expect(d.retryInMs).not.toBeNull();
    expect(c.nickAuth.error).toBe('directory refused our proof: policy');
    expect(dn.stats.nickAuth.policy).toBeGreaterThanOrEqual(1);
    holder.destroy();
    const info = await c.whenConnected(10_000);
    expect(info.nickVerified).toBe(true);
    expect(dn.registry.byNick(c.nick)?.location).toBe(location);
  });

  it('an explicit expected id lets it authenticate with that directory', async () => {
    await start({ nickAuth: { directoryId: 'test:local-directory' } });
    const c = client({ nickAuth: { directoryId: 'test:local-directory' } });
    c.start();
    expect((await c.whenConnected(10_000)).nickVerified).toBe(true);
  });
});
