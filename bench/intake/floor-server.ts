/**
 * The floor of bench/intake: the same kind of process as the portal (express 5, pino-http, helmet,
 * the JSON body parser, the driver over one connection pool) answering POST /api/v1/tickets with
 * ONE insertOne of the body and a 201, and nothing else: no token, no validation, no numbering, no
 * timeline, no mail. What it reaches is an upper bound for any ticket API on this stack and box.
 * Started by bench/intake/run.ts with MONGODB_URI and PORT; prints "ready" when listening.
 */
import express from 'express';
import helmet from 'helmet';
import { MongoClient } from 'mongodb';
import { pino } from 'pino';
import { pinoHttp } from 'pino-http';

const client = await MongoClient.connect(process.env.MONGODB_URI ?? '');
const docs = client.db().collection('bench_floor');
const app = express();
app.use(pinoHttp({ logger: pino({ level: 'warn' }) }));
app.use(helmet());
app.use(express.json({ limit: '1mb' }));
let seq = 0;
app.post('/api/v1/tickets', async (req, res) => {
  const number = `FLOOR-${++seq}`;
  const { insertedId } = await docs.insertOne({ ...(req.body as object), number, createdAt: new Date() });
  res.status(201).json({ id: String(insertedId), number });
});
app.get('/readyz', (_req, res) => {
  res.json({ ok: true });
});
const server = app.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => {
  server.close();
  void client.close().then(() => process.exit(0));
});
