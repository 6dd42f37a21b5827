/**
 * What the directory needs from a transport: a listener that hands over inbound byte streams.
 * Tor forwards onion connections to a local TCP listener, so both transports deliver
 * net.Socket-compatible streams; tests may pass fakes that implement this subset.
 */

export interface InboundSocket {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  /** Bytes queued in user space and not yet handed to the kernel. */
  readonly writableLength: number;
  readonly destroyed: boolean;
  write(data: Buffer): boolean;
  end(): void;
  destroy(): void;
  on(event: 'data', listener: (chunk: Buffer) => void): this;
  on(event: 'close', listener: (hadError: boolean) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
}

export interface ListenAddress {
  host: string;
  port: number;
}

export interface Listener {
  /** Starts accepting; resolves with the bound address (the real port when 0 was asked for). */
  listen(onConnection: (socket: InboundSocket) => void): Promise<ListenAddress>;
  /** Stops accepting new connections; existing sockets are the caller's to close. */
  close(): Promise<void>;
}

/**
 * Supplies the publicly reachable location once known (e.g. "<onion>:5222" after the Tor
 * transport has published the service). The directory advertises it in MOTD and peerlists.
 */
export interface LocationPublisher {
  publish(localAddress: ListenAddress): Promise<string>;
  close?(): Promise<void>;
  /** A SOCKS proxy through the same Tor, if it has one (for dialling peers' onions). */
  socks?(): Promise<{ host: string; port: number } | null>;
}
