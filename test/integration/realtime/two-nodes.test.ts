import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';
import { expect } from 'chai';
import type { TicketSummary } from '../../../server/domain/queues/views.js';
import type { PresenceView } from '../../../server/realtime/events.js';
import { apiClient, bodies, tokenOf } from '../../support/api.js';
import { postForm } from '../../support/browser-session.js';
import { connectTestDb, dropAndDisconnect } from '../../support/db.js';
import { makeWorld, type World } from '../../support/factories.js';
import {
  disconnection,
  eventually,
  openSocket,
  ask,
  record,
  signInForCookie,
  type ClientSocket,
} from '../../support/realtime.js';
import { freePort, spawnPortal, type SpawnedPortal } from '../../support/spawned-portal.js';

/** Resolves once something accepts TCP connections on the port. */
async function listening(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = tcpConnect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Two portal processes behind one (imaginary) load balancer, one database, one Redis: what
 * happens on node A reaches sockets on node B.
 */
describe('real-time across two portal nodes (Redis adapter)', function () {
  this.timeout(180_000);
  let redis: ChildProcess | undefined;
  let a: SpawnedPortal | undefined;
  let b: SpawnedPortal | undefined;
  let world: World;
  const sockets: ClientSocket[] = [];

  before(async function () {
    const redisPort = await freePort();
    redis = spawn(
      'redis-server',
      ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    await listening(redisPort);
    const uri = await connectTestDb('two-nodes');
    world = await makeWorld();
    const env = {
      MONGODB_URI: uri,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      // Every node signs cookies with the same secret, as in production.
      SESSION_SECRET: randomBytes(32).toString('hex'),
      JOBS_ENABLED: 'false',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    };
    [a, b] = await Promise.all([spawnPortal(env), spawnPortal(env)]);
  });

  after(async () => {
    sockets.forEach((s) => s.disconnect());
    await Promise.all([a?.signal('SIGTERM'), b?.signal('SIGTERM')]);
    redis?.kill('SIGTERM');
    await dropAndDisconnect();
  });

  it('a socket on node B hears a ticket created through node A', async () => {
    const nodeA = a as SpawnedPortal;
    const nodeB = b as SpawnedPortal;
    const { cookie } = await signInForCookie(nodeB.url, world.users.operatorAcme.email);
    const onB = await openSocket(nodeB.url, { cookie });
    sockets.push(onB);
    const created = record<TicketSummary>(onB, 'ticket:created');

    const { token } = await tokenOf(world.users.acmeAdmin);
    const res = await apiClient(nodeA.url, token)
      .post('/tickets')
      .send(bodies.complaint({ subject: 'Filed on node A' }));
    expect(res.status, res.text).to.equal(201);
    await eventually(
      () => created.some((t) => t.subject === 'Filed on node A'),
      10_000,
      'ticket:created on node B',
    );
    expect(created.find((t) => t.subject === 'Filed on node A')?.tenantId).to.equal(world.acme.id);
  });

  it('presence counts watchers on both nodes; a sign-out on A drops the socket on B', async () => {
    const nodeA = a as SpawnedPortal;
    const nodeB = b as SpawnedPortal;
    const { token } = await tokenOf(world.users.acmeAdmin, 'second');
    const res = await apiClient(nodeA.url, token)
      .post('/tickets')
      .send(bodies.complaint({ subject: 'Watched twice' }));
    const ticketId = String(
      (res.body as { id?: string; data?: { id?: string } }).id ??
        (res.body as { data?: { id?: string } }).data?.id,
    );
    expect(ticketId).to.match(/^[0-9a-f]{24}$/);

    const opA = await signInForCookie(nodeA.url, world.users.operatorBoth.email);
    const onA = await openSocket(nodeA.url, { cookie: opA.cookie });
    const leadB = await signInForCookie(nodeB.url, world.users.teamLead.email);
    const onB = await openSocket(nodeB.url, { cookie: leadB.cookie });
    sockets.push(onA, onB);
    const atA = record<PresenceView>(onA, 'presence');
    expect((await ask(onA, 'ticket:watch', { ref: ticketId })).error).to.equal(undefined);
    expect((await ask(onB, 'ticket:watch', { ref: ticketId })).error).to.equal(undefined);
    await eventually(() => atA.some((p) => p.viewers.length === 2), 10_000, 'two viewers seen from node A');

    // The same user's socket on node B goes when they sign out on node A.
    const alsoOnB = await openSocket(nodeB.url, { cookie: opA.cookie });
    sockets.push(alsoOnB);
    const gone = disconnection(alsoOnB);
    expect((await postForm(opA.agent, '/', '/logout', {})).status).to.equal(302);
    expect(await gone).to.equal('io server disconnect');
  });
});
