export { DirectoryServer, startDirectory, type DirectoryServerOptions } from './server.js';
export { DirectoryLimitsSchema, resolveLimits, type DirectoryLimits, type DirectoryLimitsInput } from './limits.js';
export { DirectoryStats } from './stats.js';
export { healthBody, type HealthBody } from './health.js';
