/** Public API of the Tor transport layer. */
export { TorControlClient, type TorEvent, type ControlClientOptions } from './control-client.js';
export { parseControlTarget, describeControlTarget, type ControlTarget } from './control-target.js';
export { authenticate, protocolInfo, safeCookieResponse, type AuthMethod, type ControlAuth, type ProtocolInfo } from './auth.js';
export {
  addOnion,
  delOnion,
  getInfo,
  setEvents,
  takeOwnership,
  parseHsDescEvent,
  parseBootstrapStatus,
  compareTorVersions,
  supportsAddOnionPow,
  type AddOnionOptions,
  type AddOnionResult,
  type HsDescEvent,
  type BootstrapStatus,
} from './commands.js';
export { ManagedTor, TOR_INSTALL_HINT, type ManagedTorOptions, type ManagedTorInfo } from './managed-tor.js';
export { OnionService, type OnionServiceOptions, type OnionServiceSource, type OnionServiceInfo } from './onion-service.js';
export { loadOnionKey, saveOnionKey, onionFromPrivateKey, type OnionKey } from './onion-key-file.js';
export { readHiddenServiceHostname } from './hidden-service-dir.js';
export { ReplyParser, type ControlReply, type ReplyLine } from './reply-parser.js';
export * from './errors.js';
