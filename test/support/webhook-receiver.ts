import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export type Reply = { status: number; headers?: Record<string, string>; body?: string };

/**
 * A real HTTP receiver on 127.0.0.1 for webhook tests: records every request (path, headers,
 * raw body) and answers what `answer` says (200 by default). `stop()` closes it (connections
 * refused), `start()` opens it again on the same port.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  answer: (req: Received) => Reply = () => ({ status: 200, body: 'ok' });
  /** How long each answer waits (a slow receiver). */
  delayMs = 0;
  private server: Server | null = null;
  port = 0;

  async start(): Promise<this> {
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const got: Received = {
          path: req.url ?? '/',
          headers: Object.fromEntries(
            Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
          ),
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.received.push(got);
        const reply = this.answer(got);
        const send = (): void => {
          res.writeHead(reply.status, reply.headers ?? {});
          res.end(reply.body ?? '');
        };
        if (this.delayMs) setTimeout(send, this.delayMs);
        else send();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
