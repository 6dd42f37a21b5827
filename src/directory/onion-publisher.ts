/**
 * Adapter from the Tor transport's OnionService to the directory's LocationPublisher: the
 * service is created once the DN's listener is bound (its target is the real port) and the
 * location advertised is "<onion>:5222". Loss and re-publication only log; the listener and the
 * peers' connections are never touched by them.
 */
import type { Logger } from 'pino';
import { ONION_VIRTUAL_PORT } from '../protocol/onion.js';
import { OnionService, type OnionServiceOptions } from '../transport/tor/onion-service.js';
import type { ListenAddress, LocationPublisher } from '../transport/types.js';

export type OnionPublisherOptions = Omit<OnionServiceOptions, 'targetHost' | 'targetPort' | 'virtualPort' | 'logger'> & {
  logger: Logger;
};

export class OnionLocationPublisher implements LocationPublisher {
  private service: OnionService | undefined;
  private location: string | undefined;

  constructor(private readonly opts: OnionPublisherOptions) {}

  /** "<onion>:5222" once published. */
  get publishedLocation(): string | undefined {
    return this.location;
  }

  /** A SOCKS port of the same tor, for dialling peers' onions (location proofs). */
  async socks(): Promise<{ host: string; port: number } | null> {
    return (await this.service?.socksListener().catch(() => null)) ?? null;
  }

  async publish(local: ListenAddress): Promise<string> {
    if (this.service) throw new Error('onion service already published');
    const log = this.opts.logger;
    // Tor connects to the listener; a wildcard bind is reached through loopback.
    const targetHost = local.host === '0.0.0.0' || local.host === '::' ? '127.0.0.1' : local.host;
    const service = new OnionService({ ...this.opts, virtualPort: ONION_VIRTUAL_PORT, targetHost, targetPort: local.port });
    this.service = service;
    service.on('lost', (err) => log.warn({ err: err.message, location: this.location }, 'onion service lost; listener and peers kept, re-publishing'));
    service.on('republished', ({ onion }) => log.info({ location: `${onion}:${ONION_VIRTUAL_PORT}` }, 'directory onion re-published'));
    try {
      const { onion } = await service.start();
      this.location = `${onion}:${ONION_VIRTUAL_PORT}`;
      return this.location;
    } catch (err) {
      this.service = undefined;
      await service.stop().catch(() => undefined);
      throw err;
    }
  }

  async close(): Promise<void> {
    const s = this.service;
    this.service = undefined;
    s?.removeAllListeners();
    await s?.stop();
  }
}
