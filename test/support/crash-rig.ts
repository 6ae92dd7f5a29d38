import { connectTestDb, dropAndDisconnect } from './db.js';
import { makeWorld, type World } from './factories.js';
import { startSmtpSink, type SmtpSink } from './smtp-sink.js';
import type { SpawnedPortal } from './spawned-portal.js';

/** What a crash test works with: filled in by the suite's `before` hook. */
export interface CrashRig {
  smtp: SmtpSink;
  world: World;
  /** The test database's URI, for the portals it spawns. */
  uri: string;
  /** Portals spawned by the test: those still running get SIGTERM after the suite. */
  portals: SpawnedPortal[];
}

/**
 * Registers the hooks of a suite that kills spawned portals: an SMTP sink, the test database
 * with the standard world, and after the suite, the surviving portals stopped and all removed.
 */
export function crashRig(dbName: string): CrashRig {
  const rig = { portals: [] } as unknown as CrashRig;
  before(async () => {
    rig.smtp = await startSmtpSink();
    rig.uri = await connectTestDb(dbName);
    rig.world = await makeWorld();
  });
  after(async () => {
    for (const p of rig.portals)
      if (p.child.exitCode === null && p.child.signalCode === null)
        await p.signal('SIGTERM').catch(() => undefined);
    await dropAndDisconnect();
    await rig.smtp?.close();
  });
  return rig;
}
