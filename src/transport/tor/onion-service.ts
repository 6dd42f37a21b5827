/**
 * Publishes the onion service in front of a local TCP listener (the DN's or a maker's) and keeps it
 * published: on control-connection loss or a tor restart it reconnects with backoff and re-adds the
 * same key. It never touches the listener itself.
 */
import { EventEmitter } from 'node:events';
import type { Clock, Timer } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import { authenticate, protocolInfo, type ControlAuth } from './auth.js';
import { addOnion, delOnion, getInfo, parseHsDescEvent, setEvents, supportsAddOnionPow } from './commands.js';
import { TorControlClient, type TorEvent } from './control-client.js';
import { describeControlTarget, type ControlTarget } from './control-target.js';
import { TorControlReplyError, TorError, TorSetupError } from './errors.js';
import { readHiddenServiceHostname } from './hidden-service-dir.js';
import { ManagedTor, type ManagedTorOptions } from './managed-tor.js';
import { loadOnionKey, saveOnionKey, type OnionKey } from './onion-key-file.js';

export type OnionServiceSource =
  | { kind: 'control'; target: ControlTarget; auth?: ControlAuth }
  | { kind: 'managed'; tor: Omit<ManagedTorOptions, 'logger' | 'clock'> }
  | { kind: 'hidden-service-dir'; dir: string };

export interface OnionServiceOptions {
  source: OnionServiceSource;
  /** 0600 file holding the service key; created on first start. Without it the key lives in memory only. */
  keyFile?: string;
  virtualPort?: number;
  targetHost: string;
  targetPort: number;
  /** Ask tor for PoW DoS defences when it supports them (default true). */
  powDefenses?: boolean;
  /** Max wait for the first "HS_DESC UPLOADED" (default 180 s). */
  uploadTimeoutMs?: number;
  /** After the first UPLOADED, max wait for the other HSDirs tor uploads to (default 10 s). */
  uploadSettleMs?: number;
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
  logger: Logger;
  clock: Clock;
}

export interface OnionServiceInfo {
  /** "<56 chars>.onion" */
  onion: string;
}

type OnionServiceEvents = { republished: [OnionServiceInfo]; lost: [Error] };

/** "$<fingerprint>~nick" (or "$<fingerprint>=nick") → "$<fingerprint>", so UPLOAD and UPLOADED match. */
function hsDirId(hsDir: string): string {
  return /^\$[0-9A-Fa-f]{40}/.exec(hsDir)?.[0].toUpperCase() ?? hsDir;
}

export class OnionService extends EventEmitter<OnionServiceEvents> {
  private client: TorControlClient | undefined;
  private managed: ManagedTor | undefined;
  private key: OnionKey | undefined;
  private stopping = false;
  private retryTimer: Timer | undefined;
  private retryDelay: number;
  private readonly log: Logger;

  /** tor's first SOCKS listener (`GETINFO net/listeners/socks`), or null (none, or no control connection). */
  async socksListener(): Promise<{ host: string; port: number } | null> {
    if (!this.client) return null;
    const v = (await getInfo(this.client, ['net/listeners/socks'])).get('net/listeners/socks') ?? '';
    const m = /"?(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})"?/.exec(v);
    return m ? { host: m[1]!, port: Number(m[2]) } : null;
  }

  constructor(private readonly opts: OnionServiceOptions) {
    super();
    this.log = opts.logger.child({ component: 'onion-service' });
    this.retryDelay = opts.reconnectInitialMs ?? 1000;
  }

  get onion(): string | undefined {
    return this.key?.onion;
  }

  /** Publishes; resolves once tor reports the descriptor uploaded (HS_DESC UPLOADED). */
  async start(): Promise<OnionServiceInfo> {
    this.stopping = false;
    const src = this.opts.source;
    if (src.kind === 'hidden-service-dir') {
      const onion = await readHiddenServiceHostname(src.dir);
      this.log.info({ onion, dir: src.dir }, 'using onion address of the HiddenServiceDir');
      return { onion };
    }
    if (this.opts.keyFile) this.key = await loadOnionKey(this.opts.keyFile);
    if (src.kind === 'managed') await this.startManagedTor();
    return this.publish();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.retryTimer !== undefined) this.opts.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const client = this.client;
    this.client = undefined;
    if (client && !client.closed) {
      if (this.key) await delOnion(client, this.key.onion.slice(0, 56)).catch(() => undefined);
      await client.close();
    }
    await this.managed?.stop();
    this.managed = undefined;
  }

  private async startManagedTor(): Promise<void> {
    const src = this.opts.source;
    if (src.kind !== 'managed') return;
    this.managed = new ManagedTor({ ...src.tor, logger: this.log, clock: this.opts.clock });
    this.managed.on('exit', () => {
      // Only a published service is "lost"; a failing (re)start reports through its own promise.
      if (this.client) this.onLost(new TorError('managed tor exited'));
    });
    this.managedInfoCache = await this.managed.start();
  }

  private controlTarget(): { target: ControlTarget; auth: ControlAuth } {
    const src = this.opts.source;
    if (src.kind === 'control') return { target: src.target, auth: src.auth ?? {} };
    return { target: this.managedInfo().control, auth: { cookieFile: this.managedInfo().cookieFile } };
  }

  private managedInfoCache: { control: ControlTarget; cookieFile: string } | undefined;
  private managedInfo(): { control: ControlTarget; cookieFile: string } {
    if (!this.managedInfoCache) throw new TorSetupError('managed tor is not running');
    return this.managedInfoCache;
  }

  /** One full attempt: connect, authenticate, ADD_ONION, wait for the upload. */
  private async publish(): Promise<OnionServiceInfo> {
    const { target, auth } = this.controlTarget();
    const where = describeControlTarget(target);
    this.log.info({ control: where }, 'connecting to tor control port');
    const client = await TorControlClient.connect(target, { clock: this.opts.clock, logger: this.log });
    try {
      const pi = await protocolInfo(client);
      const method = await authenticate(client, auth, pi);
      this.log.info({ method, torVersion: pi.torVersion }, 'authenticated to tor');
      await setEvents(client, ['HS_DESC']);
      const events: TorEvent[] = [];
      let notify: (() => void) | undefined;
      client.on('event', (ev) => {
        events.push(ev);
        notify?.();
      });
      const wantPow = (this.opts.powDefenses ?? true) && supportsAddOnionPow(pi.torVersion);
      const serviceId = await this.addOnionWithFallback(client, wantPow);
      const onion = `${serviceId}.onion`;
      this.log.info({ onion, pow: wantPow }, 'onion service added; waiting for descriptor upload');
      const uploads = await this.waitUploaded(client, serviceId, events, (fn) => (notify = fn));
      this.log.info({ onion, uploads }, 'onion descriptor uploaded; service reachable');
      if (client.closed) throw new TorError('tor control connection closed right after publishing');
      this.client = client;
      this.retryDelay = this.opts.reconnectInitialMs ?? 1000;
      client.once('close', (err) => {
        if (this.client === client && !this.stopping) this.onLost(err ?? new TorError('tor control connection closed'));
      });
      return { onion };
    } catch (err) {
      client.destroy();
      throw err;
    }
  }

  private async addOnionWithFallback(client: TorControlClient, pow: boolean): Promise<string> {
    const base = {
      ports: [{ virtualPort: this.opts.virtualPort ?? 5222, target: `${this.opts.targetHost}:${this.opts.targetPort}` }],
      ...(this.key ? { privateKey: this.key.privateKey } : {}),
    };
    let res;
    try {
      res = await addOnion(client, { ...base, powDefenses: pow });
    } catch (err) {
      if (!(pow && err instanceof TorControlReplyError && err.code >= 510 && err.code <= 513)) throw err;
      this.log.warn({ reply: err.replyText }, 'tor refused PoWDefensesEnabled; publishing without PoW defences');
      res = await addOnion(client, base);
    }
    const onion = `${res.serviceId}.onion`;
    if (this.key && this.key.onion !== onion) {
      throw new TorSetupError(`tor published ${onion} but the key belongs to ${this.key.onion}`);
    }
    if (!this.key) {
      if (!res.privateKey) throw new TorSetupError('tor did not return the new onion private key');
      this.key = { privateKey: res.privateKey, onion };
      if (this.opts.keyFile) {
        await saveOnionKey(this.opts.keyFile, this.key);
        this.log.info({ keyFile: this.opts.keyFile, onion }, 'saved new onion key');
      }
    }
    return res.serviceId;
  }

  /**
   * Resolves once the descriptor is on the HSDirs. Tor announces one "HS_DESC UPLOAD" per HSDir and
   * descriptor (current and next time period) and answers each with UPLOADED or FAILED. The first
   * UPLOADED is not enough: until the other HSDirs have the new descriptor they still serve the
   * previous one (after a tor restart: intro points that lead nowhere), and a client that fetches
   * it can stall for minutes. So this waits until every announced upload is answered, with at least
   * one UPLOADED; stragglers get uploadSettleMs after the first UPLOADED. Resolves with the number
   * of uploads confirmed.
   */
  private waitUploaded(
    client: TorControlClient,
    serviceId: string,
    events: TorEvent[],
    setNotify: (fn: () => void) => void,
  ): Promise<number> {
    const ms = this.opts.uploadTimeoutMs ?? 180_000;
    const settleMs = this.opts.uploadSettleMs ?? 10_000;
    return new Promise<number>((resolve, reject) => {
      /** Unanswered uploads per HSDir. */
      const pending = new Map<string, number>();
      let uploaded = 0;
      let settleTimer: Timer | undefined;
      const timer = this.opts.clock.setTimeout(() => {
        done(new TorError(`onion descriptor for ${serviceId}.onion not uploaded within ${ms} ms (is tor bootstrapped? see its log)`));
      }, ms);
      const onClose = (): void => done(new TorError('tor control connection closed before the descriptor was uploaded'));
      const done = (err?: Error): void => {
        this.opts.clock.clearTimeout(timer);
        if (settleTimer !== undefined) this.opts.clock.clearTimeout(settleTimer);
        client.off('close', onClose);
        setNotify(() => undefined);
        if (err) reject(err);
        else resolve(uploaded);
      };
      const check = (): void => {
        for (const ev of events.splice(0)) {
          const hs = parseHsDescEvent(ev);
          // Only this service's uploads (auth type UNKNOWN), not fetches of the same address by tor's client side.
          if (!hs || hs.address !== serviceId || hs.authType !== 'UNKNOWN') continue;
          const dir = hsDirId(hs.hsDir);
          if (hs.action === 'UPLOAD') {
            pending.set(dir, (pending.get(dir) ?? 0) + 1);
            continue;
          }
          if (hs.action !== 'UPLOADED' && hs.action !== 'FAILED') continue;
          const left = (pending.get(dir) ?? 1) - 1;
          if (left > 0) pending.set(dir, left);
          else pending.delete(dir);
          if (hs.action === 'UPLOADED') uploaded++;
          else this.log.warn({ hsDir: hs.hsDir, reason: hs.reason }, 'descriptor upload to one HSDir failed');
        }
        if (uploaded === 0) return;
        if (pending.size === 0) return done();
        settleTimer ??= this.opts.clock.setTimeout(() => {
          this.log.warn({ unconfirmed: [...pending.keys()], settleMs }, 'not every HSDir confirmed the descriptor upload; going on');
          done();
        }, settleMs);
      };
      client.once('close', onClose);
      setNotify(check);
      check();
    });
  }

  private onLost(err: Error): void {
    if (this.stopping) return;
    this.log.warn({ err: err.message }, 'onion service lost; will reconnect and re-publish');
    const old = this.client;
    this.client = undefined;
    old?.destroy();
    this.emit('lost', err);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopping || this.retryTimer !== undefined) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(delay * 2, this.opts.reconnectMaxMs ?? 30_000);
    this.log.info({ delayMs: delay }, 're-publish scheduled');
    this.retryTimer = this.opts.clock.setTimeout(() => {
      this.retryTimer = undefined;
      this.retry().catch((err: unknown) => this.log.error({ err: (err as Error).message }, 're-publish failed'));
    }, delay);
  }

  private async retry(): Promise<void> {
    try {
      if (this.opts.source.kind === 'managed' && !this.managed?.running) {
        await this.managed?.stop();
        await this.startManagedTor();
      }
      const info = await this.publish();
      if (this.stopping) {
        await this.stop();
        return;
      }
      this.log.info({ onion: info.onion }, 'onion service re-published');
      this.emit('republished', info);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 're-publish attempt failed');
      this.scheduleRetry();
    }
  }
}
