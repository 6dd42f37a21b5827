export * from './backoff.js';
export * from './dialer.js';
export * from './identity.js';
export * from './pending.js';
export * from './rate-limit.js';
export * from './typed-emitter.js';
export * from './directory-client.js';
export * from './directory-pool.js';
