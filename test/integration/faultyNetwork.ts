/**
 * A TCP proxy between a client and the API server that a story can break the way networks break: freeze the
 * connections that are open (a watch that hangs silently), cut everything and refuse new connections (the API
 * server gone), or swallow everything (a partition: connections open, nothing answers). TLS passes through
 * untouched, so the client still talks to the real API server with its real certificates.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

type Mode = 'pass' | 'refuse' | 'blackhole';

interface Link {
  client: Socket;
  upstream: Socket | undefined;
}

export class FaultyNetwork {
  readonly #server: Server;
  readonly #target: URL;
  readonly #links = new Set<Link>();
  #mode: Mode = 'pass';

  private constructor(server: Server, target: URL) {
    this.#server = server;
    this.#target = target;
  }

  /** Starts a proxy to the API server of `kc` on a free loopback port. */
  static async start(kc: KubeConfig): Promise<FaultyNetwork> {
    const server = kc.getCurrentCluster()?.server;
    if (server === undefined) throw new Error('the kubeconfig has no current cluster');
    const proxy = new FaultyNetwork(createServer(), new URL(server));
    proxy.#server.on('connection', (socket) => proxy.#accept(socket));
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** A copy of `kc` that reaches the API server through this proxy. */
  kubeConfig(kc: KubeConfig): KubeConfig {
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('the proxy is not listening');
    const copy = new KubeConfig();
    copy.loadFromOptions({
      clusters: kc.getClusters().map((c) => ({ ...c, server: `https://127.0.0.1:${address.port}` })),
      users: kc.getUsers(),
      contexts: kc.getContexts(),
      currentContext: kc.getCurrentContext(),
    });
    return copy;
  }

  /** Open connections stop carrying bytes, both ways, and stay open; new connections work. */
  freezeOpenConnections(): void {
    for (const link of this.#links) freeze(link);
  }

  /** Every connection is closed at once, and new ones are refused until heal(). */
  cut(): void {
    this.#mode = 'refuse';
    for (const link of this.#links) close(link);
  }

  /** A partition: open connections freeze, new ones are accepted and never answered, until heal(). */
  blackhole(): void {
    this.#mode = 'blackhole';
    this.freezeOpenConnections();
  }

  /** New connections work again; what was frozen or swallowed stays so (the client has to reconnect). */
  heal(): void {
    this.#mode = 'pass';
  }

  async close(): Promise<void> {
    for (const link of this.#links) close(link);
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    if (this.#mode === 'refuse') {
      client.destroy();
      return;
    }
    const link: Link = { client, upstream: undefined };
    this.#links.add(link);
    client.on('error', () => close(link));
    client.on('close', () => {
      close(link);
      this.#links.delete(link);
    });
    if (this.#mode === 'blackhole') {
      client.pause();
      return;
    }
    const upstream = connect(Number(this.#target.port), this.#target.hostname);
    link.upstream = upstream;
    upstream.on('error', () => close(link));
    upstream.on('close', () => close(link));
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

function freeze(link: Link): void {
  link.client.unpipe();
  link.upstream?.unpipe();
  link.client.pause();
  link.upstream?.pause();
}

function close(link: Link): void {
  link.client.destroy();
  link.upstream?.destroy();
}
