/**
 * The maker's own onion for direct connections: a fresh key every run (as reference makers
 * do with ADD_ONION and a discarded key), virtual port 5222 → our loopback listener.
 */
import { ONION_VIRTUAL_PORT } from '../protocol/onion.js';
import { OnionService, type OnionServiceSource } from '../transport/tor/onion-service.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { DirectPublisher } from './direct-channel.js';

export interface MakerOnionOptions {
  source: OnionServiceSource;
  logger: Logger;
  clock?: Clock;
  uploadTimeoutMs?: number;
}

export function makerOnion(o: MakerOnionOptions): DirectPublisher {
  let service: OnionService | undefined;
  return {
    async publish(localPort) {
      if (service) throw new Error('maker onion already published');
      const s = new OnionService({
        source: o.source, virtualPort: ONION_VIRTUAL_PORT, targetHost: '127.0.0.1', targetPort: localPort,
        logger: o.logger, clock: o.clock ?? systemClock, ...(o.uploadTimeoutMs !== undefined ? { uploadTimeoutMs: o.uploadTimeoutMs } : {}),
      });
      s.on('lost', (err) => o.logger.warn({ err: err.message }, 'maker onion lost; re-publishing (DN connections unaffected)'));
      s.on('republished', ({ onion }) => o.logger.info({ onion }, 'maker onion re-published'));
      service = s;
      try {
        const { onion } = await s.start();
        return `${onion}:${ONION_VIRTUAL_PORT}`;
      } catch (err) {
        service = undefined;
        await s.stop().catch(() => undefined);
        throw err;
      }
    },
    async close() {
      const s = service;
      service = undefined;
      s?.removeAllListeners();
      await s?.stop();
    },
  };
}
