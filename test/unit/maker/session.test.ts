/** MakerSession: every step, every timeout, every refusal (with fakes and a manual clock). */
import { describe, expect, it } from 'vitest';
import { Transaction } from 'bitcoinjs-lib';
import { checkFill, parseCoinjoinCommand, type FillMessage } from '../../../src/protocol/coinjoin/messages.js';
import { matchSignature } from '../../../src/protocol/coinjoin/sign.js';
import { verifyNaclKeyOwnership } from '../../../src/protocol/coinjoin/payloads.js';
import { generatePodle } from '../../../src/protocol/coinjoin/podle.js';
import { hexToBytes } from '../../../src/protocol/crypto.js';
import { makeRelOffer, type Offer } from '../../../src/protocol/offers.js';
import { ManualClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/logger.js';
import { CommitmentBlacklist } from '../../../src/maker/commitments.js';
import { MakerSession, type SignedCoinjoin } from '../../../src/maker/session.js';
import { FakeChain, FakeWallet, NET, keyFor, p2wpkhOf, type Sent } from './fakes.js';
import { ScriptedTaker } from './scripted-taker.js';

const AMOUNT = 1_000_000;
const OFFER: Offer = (() => {
  const o = makeRelOffer('sw0reloffer', { oid: 0, minsize: 100_000, maxsize: 5_000_000, txfee: 100 }, '0.0002');
  if (!o.ok) throw new Error(o.reason);
  return o.value;
})();

function setup(o: { coins?: number[]; takerValue?: number; takerConfs?: number } = {}) {
  const clock = new ManualClock();
  const wallet = new FakeWallet();
  for (const v of o.coins ?? [3_000_000]) wallet.addCoin(0, v);
  const chain = new FakeChain();
  const taker = new ScriptedTaker();
  taker.register(chain, o.takerValue ?? 2_000_000, o.takerConfs ?? 10);
  const commitments = CommitmentBlacklist.memory();
  const sent: Sent[] = [];
  const events: { ioauth: string[]; signed: SignedCoinjoin[]; closed: string[] } = { ioauth: [], signed: [], closed: [] };
  const fillMsg = parseCoinjoinCommand('fill', taker.fill(0, AMOUNT).slice('!fill '.length));
  if (!fillMsg.ok) throw new Error(fillMsg.reason);
  const accepted = checkFill(fillMsg.value as FillMessage, [OFFER], () => false);
  if (!accepted.ok) throw new Error(accepted.reason);
  commitments.reserve(accepted.value.commitmentHex);
  const session = new MakerSession({
    takerNick: 'J5takerOOOOOOOOO', fill: accepted.value,
    send: (cmd, args) => (sent.push({ to: 'taker', cmd, args }), true),
    wallet, chain, commitments, network: NET, clock, log: silentLogger(),
    randomBytes: (n) => keyFor('rb').subarray(0, n),
    timeouts: { authMs: 1_000, txMs: 2_000 },
    onIoauth: (c) => events.ioauth.push(c),
    onSigned: (s) => events.signed.push(s),
    onClosed: (r) => events.closed.push(r),
  });
  session.start();
  const last = (cmd: string): string => [...sent].reverse().find((s) => s.cmd === cmd)!.args;
  return { clock, wallet, chain, taker, commitments, sent, events, session, last };
}

/** Runs up to `!ioauth` and returns what the taker learnt. */
async function toIoauth(t: ReturnType<typeof setup>) {
  t.taker.onPubkey(t.last('pubkey'));
  await t.session.handle('auth', t.taker.auth());
  expect(t.session.state).toBe('await-tx');
  return t.taker.ioauth(t.last('ioauth'));
}

describe('MakerSession happy path', () => {
  it('pubkey → ioauth → sig, with our own amounts, and records the commitment', async () => {
    const t = setup({ coins: [3_000_000, 500_000] });
    expect(t.sent.map((s) => s.cmd)).toEqual(['pubkey']);
    expect(t.session.state).toBe('await-auth');
    const io = await toIoauth(t);
    expect(verifyNaclKeyOwnership(io, t.session.naclPublicKeyHex)).toBe(true);
    expect(io.utxos).toHaveLength(1);
    expect(io.utxos[0]!.txid).toBe(t.wallet.all[0]!.txid); // default merge: smallest single coin ≥ required
    expect(t.wallet.locked.size).toBe(1);
    expect(t.commitments.isUsed(t.taker.commitmentHex)).toBe(true);
    expect(t.events.ioauth).toEqual([t.taker.commitmentHex]);
    // cj to the next mixdepth, change stays in mixdepth 0, both internal
    expect(t.wallet.issued.map((a) => [a.mixdepth, a.internal])).toEqual([[1, true], [0, true]]);

    const { tx, ciphertext } = t.taker.tx(io, 3_000_000, AMOUNT, OFFER);
    await t.session.handle('tx', ciphertext);
    expect(t.session.state).toBe('signed');
    const sigs = t.sent.filter((s) => s.cmd === 'sig');
    expect(sigs).toHaveLength(1);
    const sig = t.taker.sig(sigs[0]!.args);
    if (!sig.ok) throw new Error(sig.reason);
    const coin = t.wallet.all[0]!;
    expect(matchSignature(tx, sig.value, [{ index: 1, scriptPubKey: coin.scriptPubKey, valueSats: coin.valueSats }])).toBe(1);
    const s = t.events.signed[0]!;
    expect(s.txid).toBe(tx.getId());
    expect(s.realCjFee).toBe(200n);
    expect(s.earned).toBe(100n);
    expect(s.cjVout).toBe(0);
    expect(t.wallet.locked.size).toBe(1); // stays locked until the bot sees the tx
  });

  it('a second !tx after signing is ignored', async () => {
    const t = setup();
    const io = await toIoauth(t);
    await t.session.handle('tx', t.taker.tx(io, 3_000_000, AMOUNT, OFFER).ciphertext);
    await t.session.handle('tx', t.taker.tx(io, 3_000_000, AMOUNT, OFFER, (tx) => tx.addOutput(p2wpkhOf(keyFor('x')).script, 1000n)).ciphertext);
    expect(t.sent.filter((s) => s.cmd === 'sig')).toHaveLength(1);
  });
});

describe('MakerSession timeouts', () => {
  it('no !auth: closes and releases the commitment', () => {
    const t = setup();
    t.clock.advance(999);
    expect(t.session.state).toBe('await-auth');
    t.clock.advance(1);
    expect(t.session.state).toBe('closed');
    expect(t.events.closed).toEqual(['no !auth in time']);
    expect(t.commitments.isBlocked(t.taker.commitmentHex)).toBe(false);
  });

  it('no !tx: closes and unlocks the coins; the commitment stays used', async () => {
    const t = setup();
    await toIoauth(t);
    t.clock.advance(2_000);
    expect(t.events.closed).toEqual(['no !tx in time']);
    expect(t.wallet.locked.size).toBe(0);
    expect(t.commitments.isUsed(t.taker.commitmentHex)).toBe(true);
  });
});

describe('MakerSession refusals at !auth (silent, no !ioauth)', () => {
  const cases: Array<[string, (t: ReturnType<typeof setup>) => string]> = [
    ['garbage ciphertext', () => 'AAAA'],
    ['proof for another commitment', (t) => t.taker.auth(generatePodle(keyFor('other'), t.taker.utxo, 0, keyFor('k')))],
    ['NUMS index outside 0..2', (t) => t.taker.auth(generatePodle(t.taker.key, t.taker.utxo, 3, keyFor('k')))],
    ['not a revelation', (t) => t.taker.encrypt('hello|world')],
  ];
  for (const [name, make] of cases) {
    it(name, async () => {
      const t = setup();
      t.taker.onPubkey(t.last('pubkey'));
      await t.session.handle('auth', make(t));
      expect(t.session.state).toBe('closed');
      expect(t.sent.map((s) => s.cmd)).toEqual(['pubkey']);
      expect(t.wallet.locked.size).toBe(0);
    });
  }

  const utxoCases: Array<[string, Parameters<typeof setup>[0], ((t: ReturnType<typeof setup>) => void) | undefined, RegExp]> = [
    ['utxo unknown', {}, (t) => t.chain.utxos.clear(), /does not exist/],
    ['only 4 confirmations', { takerConfs: 4 }, undefined, /confirmations/],
    ['below 20 % of the amount', { takerValue: 199_999 }, undefined, /below/],
    ['utxo owned by another key', {}, (t) => t.chain.utxos.set(t.taker.utxo, { valueSats: 5e6, confirmations: 9, scriptPubKey: p2wpkhOf(keyFor('z')).script }), /own/],
    ['no mixdepth can pay', { coins: [900_000] }, undefined, /no mixdepth/],
  ];
  for (const [name, opts, mutate, reason] of utxoCases) {
    it(name, async () => {
      const t = setup(opts);
      mutate?.(t);
      t.taker.onPubkey(t.last('pubkey'));
      await t.session.handle('auth', t.taker.auth());
      expect(t.session.state).toBe('closed');
      expect(t.events.closed[0]).toMatch(reason);
      expect(t.sent.map((s) => s.cmd)).toEqual(['pubkey']);
    });
  }

  it('!tx before !auth is ignored', async () => {
    const t = setup();
    t.taker.onPubkey(t.last('pubkey'));
    await t.session.handle('tx', t.taker.encrypt('AAAA'));
    expect(t.session.state).toBe('await-auth');
  });
});

describe('MakerSession refusals at !tx (no !sig, coins unlocked)', () => {
  const other = (): Uint8Array => p2wpkhOf(keyFor('thief')).script;
  const cases: Array<[string, (tx: Transaction, io: { cjScript: Uint8Array; changeScript: Uint8Array }) => void, RegExp]> = [
    ['change output missing', (tx) => { tx.outs.splice(1, 1); }, /change address appears 0/],
    ['change one sat short', (tx) => { tx.outs[1]!.value -= 1n; }, /change output/],
    ['cj output below amount', (tx) => { tx.outs[0]!.value -= 1n; }, /cj output/],
    ['cj address twice', (tx, io) => { tx.addOutput(io.cjScript, 1000n); }, /cj address appears 2/],
    ['our input replaced by a foreign one', (tx) => { tx.ins[1]!.hash = hexToBytes('ab'.repeat(32)); }, /not an input/],
    ['our input spent twice', (tx) => { tx.addInput(Uint8Array.from(tx.ins[1]!.hash), tx.ins[1]!.index); }, /appears twice/],
    ['cj paid to someone else', (tx) => { tx.outs[0]!.script = other(); }, /cj address appears 0/],
  ];
  for (const [name, tamper, reason] of cases) {
    it(name, async () => {
      const t = setup();
      const io = await toIoauth(t);
      await t.session.handle('tx', t.taker.tx(io, 3_000_000, AMOUNT, OFFER, (tx) => tamper(tx, io)).ciphertext);
      expect(t.session.state).toBe('closed');
      expect(t.events.closed[0]).toMatch(reason);
      expect(t.sent.filter((s) => s.cmd === 'sig')).toHaveLength(0);
      expect(t.wallet.locked.size).toBe(0);
    });
  }

  it('undecodable transaction', async () => {
    const t = setup();
    await toIoauth(t);
    await t.session.handle('tx', t.taker.encrypt('bm90IGEgdHg='));
    expect(t.events.closed[0]).toMatch(/undecodable/);
  });

  it('a tx encrypted to another key', async () => {
    const t = setup();
    const io = await toIoauth(t);
    const { tx } = t.taker.tx(io, 3_000_000, AMOUNT, OFFER);
    const stranger = new ScriptedTaker();
    stranger.onPubkey(t.last('pubkey'));
    await t.session.handle('tx', stranger.encrypt(Buffer.from(tx.toBuffer()).toString('base64')));
    expect(t.events.closed[0]).toMatch(/decryption failed/);
  });
});
