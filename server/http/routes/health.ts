import { Router } from 'express';
import mongoose from 'mongoose';

/** Liveness (the process answers) and readiness (the database answers) for load balancers. */
export function healthRoutes(): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      const db = mongoose.connection.db;
      if (!db || mongoose.connection.readyState !== 1) throw new Error('not connected');
      await db.admin().command({ ping: 1 });
      res.json({ status: 'ready' });
    } catch (err) {
      res.status(503).json({ status: 'unavailable', error: (err as Error).message });
    }
  });
  return router;
}
