import { randomInt } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';
import { BSON, type Document } from 'mongodb';

/**
 * A TCP proxy between the portal's driver and the database that can make the database fail the
 * way it failed in production: cut the connection as a given command arrives (the engine killed
 * mid-run), answer a command itself (a delete that fails inside a damaged index), or forward it
 * changed (an update that misses a row its _id index lost). Everything else passes untouched.
 * Real bytes on a real connection: nothing of ours is stubbed.
 */
export type Verdict = 'pass' | 'cut' | { reply: Document } | { forward: Document };
export type Rule = (command: Document) => Verdict;

export interface DbProxy {
  /** `uri` (the database's own) rewritten to go through the proxy. */
  via(uri: string): string;
  /** Decides on every command (OP_MSG body); `pass` by default. */
  rule: Rule;
  close(): Promise<void>;
}

const OP_MSG = 2013;
const bsonOptions = { promoteLongs: false, promoteValues: false, promoteBuffers: false } as const;

function message(requestId: number, responseTo: number, body: Buffer): Buffer {
  const header = Buffer.alloc(16);
  header.writeInt32LE(16 + body.length, 0);
  header.writeInt32LE(requestId, 4);
  header.writeInt32LE(responseTo, 8);
  header.writeInt32LE(OP_MSG, 12);
  return Buffer.concat([header, body]);
}

/** flagBits 0, section kind 0 with `doc`, then `rest` (further sections, copied as they came). */
const msgBody = (doc: Document, rest: Buffer = Buffer.alloc(0)): Buffer =>
  Buffer.concat([Buffer.alloc(4), Buffer.from([0]), BSON.serialize(doc), rest]);

export async function startDbProxy(targetUri: string): Promise<DbProxy> {
  const target = new URL(targetUri);
  const sockets = new Set<Socket>();
  const proxy: DbProxy = { via: () => '', rule: () => 'pass', close: async () => undefined };
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    upstream.pipe(client);
    let pending = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
        const length = pending.readInt32LE(0);
        const msg = pending.subarray(0, length);
        pending = pending.subarray(length);
        if (msg.readInt32LE(12) !== OP_MSG || msg[20] !== 0) {
          upstream.write(msg);
          continue;
        }
        const docLength = msg.readInt32LE(21);
        const command = BSON.deserialize(msg.subarray(21, 21 + docLength), bsonOptions);
        // The checksum (flag bit 0) is the last 4 bytes: not part of the sections.
        const end = msg.readUInt32LE(16) & 1 ? length - 4 : length;
        const verdict = proxy.rule(command);
        if (verdict === 'pass') upstream.write(msg);
        else if (verdict === 'cut') drop();
        else if ('reply' in verdict)
          client.write(message(randomInt(1, 2 ** 31 - 1), msg.readInt32LE(4), msgBody(verdict.reply)));
        else
          upstream.write(
            message(msg.readInt32LE(4), 0, msgBody(verdict.forward, msg.subarray(21 + docLength, end))),
          );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  proxy.via = (uri) => {
    const url = new URL(uri);
    url.host = `127.0.0.1:${port}`;
    // One server, reached through us: the driver must not look for the real address.
    url.searchParams.set('directConnection', 'true');
    return url.toString();
  };
  proxy.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return proxy;
}
