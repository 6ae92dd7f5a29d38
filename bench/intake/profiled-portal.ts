/**
 * BENCH_PROFILE=1 only: the portal exactly as `server/main.ts` starts it, plus driver command
 * monitoring (MONGODB_URI carries monitorCommands=true). The bench asks for the per-command
 * totals over IPC ('profile:reset' before the measured run, 'profile:report' after it). With
 * BENCH_CPU_PROF=dir, a V8 CPU profile of the same span is written to dir/portal-run.cpuprofile.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import mongoose from 'mongoose';

const cpuProfDir = process.env.BENCH_CPU_PROF;
const inspector = cpuProfDir ? new Session() : null;
inspector?.connect();

type Row = { n: number; ms: number };
const commands = new Map<string, Row>();
const started = new Map<number, string>();

mongoose.connection.once('open', () => {
  const client = mongoose.connection.getClient();
  client.on('commandStarted', (e) => {
    const target = (e.command as Record<string, unknown>)[e.commandName];
    started.set(e.requestId, `${e.commandName} ${typeof target === 'string' ? target : ''}`);
  });
  const done = (e: { requestId: number; duration: number; commandName: string }, failed: boolean): void => {
    const key = `${started.get(e.requestId) ?? e.commandName}${failed ? ' (failed)' : ''}`;
    started.delete(e.requestId);
    const row = commands.get(key) ?? { n: 0, ms: 0 };
    row.n++;
    row.ms += e.duration;
    commands.set(key, row);
  };
  client.on('commandSucceeded', (e) => done(e, false));
  client.on('commandFailed', (e) => done(e, true));
});

process.on('message', (msg) => {
  void (async () => {
    if (msg === 'profile:reset') {
      commands.clear();
      if (inspector) {
        await inspector.post('Profiler.enable');
        await inspector.post('Profiler.start');
      }
    }
    if (msg === 'profile:report') {
      if (inspector && cpuProfDir) {
        const { profile } = await inspector.post('Profiler.stop');
        writeFileSync(join(cpuProfDir, 'portal-run.cpuprofile'), JSON.stringify(profile));
      }
      process.send?.({ profile: [...commands.entries()] });
    }
  })();
});

await import('../../server/main.js');
