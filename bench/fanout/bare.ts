import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { now, probeEmits, type EmitTimes } from './probes.js';

export interface BareServer {
  url: string;
  /** When the POST reached the handler, by the payload's subject. */
  received: Map<string, number>;
  emits: Map<string, EmitTimes>;
  close(): Promise<void>;
}

/**
 * The baseline: a plain socket.io server with the same defaults as the portal's (websocket, no
 * compression), no session, no rooms, `io.emit` to every socket of the JSON body POSTed to /emit,
 * before answering.
 */
export async function startBare(): Promise<BareServer> {
  const received = new Map<string, number>();
  const http: HttpServer = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/emit') {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const payload = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { subject: string };
      received.set(payload.subject, now());
      io.emit('ticket:created', payload);
      res.writeHead(204).end();
    });
  });
  const io = new Server(http, { serveClient: false });
  const emits = probeEmits(io, 'ticket:created');
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    received,
    emits,
    close: async () => {
      io.local.disconnectSockets(true);
      io.engine.close();
      await new Promise((r) => http.close(r));
    },
  };
}
