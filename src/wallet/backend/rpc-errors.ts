/** Errors of the Bitcoin Core JSON-RPC client (blockchain-backend.md §2, §5), each with a clear message. */
export class RpcError extends Error {
  constructor(readonly method: string, readonly code: number, message: string) {
    super(`${method}: ${message} (RPC error ${code})`);
    this.name = 'RpcError';
  }
}

/** Node not reachable: refused, reset, DNS, TLS. */
export class RpcConnectionError extends Error {
  constructor(readonly url: string, cause: string) {
    super(`cannot reach Bitcoin Core at ${url} (${cause}); is the node running, and is --rpc-url right?`);
    this.name = 'RpcConnectionError';
  }
}

export class RpcTimeoutError extends Error {
  constructor(readonly method: string, readonly ms: number) {
    super(`${method}: no reply from Bitcoin Core within ${ms} ms`);
    this.name = 'RpcTimeoutError';
  }
}

export class RpcAuthError extends Error {
  constructor(readonly url: string, status: number) {
    super(`Bitcoin Core at ${url} refused our credentials (HTTP ${status}); check --rpc-user/--rpc-password or --rpc-cookie-file`);
    this.name = 'RpcAuthError';
  }
}

/** -18: wallet missing/not loaded; -19: wallet not specified. */
export class RpcWalletError extends RpcError {
  constructor(method: string, code: number, readonly wallet: string | undefined, message: string) {
    super(method, code, wallet ? `Core wallet "${wallet}" is missing or not loaded: ${message}` : message);
    this.name = 'RpcWalletError';
  }
}

/** The node answered, but not with what the schema expects. */
export class RpcReplyError extends Error {
  constructor(readonly method: string, detail: string) {
    super(`${method}: unexpected reply from Bitcoin Core: ${detail}`);
    this.name = 'RpcReplyError';
  }
}

export const RPC_WALLET_NOT_FOUND = -18;
export const RPC_WALLET_NOT_SPECIFIED = -19;
export const RPC_WALLET_ERROR = -4;
export const RPC_VERIFY_REJECTED = -26;
