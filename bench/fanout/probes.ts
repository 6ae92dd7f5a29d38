import type { Server } from 'socket.io';

/** The one clock of the bench: epoch ms with sub-millisecond resolution, comparable across processes. */
export const now = (): number => performance.timeOrigin + performance.now();

/** When a server started and finished handing one event to its sockets, by the payload's subject. */
export interface EmitTimes {
  start: number;
  end: number;
}

/**
 * Time every broadcast of `event` at the adapter, the one place both the portal (room emit) and
 * the bare server (emit to all) go through: start = the emit call, end = every socket's frame
 * handed to its connection. Bench-only instrumentation; the servers are not changed.
 */
export function probeEmits(io: Server, event: string): Map<string, EmitTimes> {
  const seen = new Map<string, EmitTimes>();
  const adapter = io.of('/').adapter;
  const broadcast = adapter.broadcast.bind(adapter);
  adapter.broadcast = (packet, opts) => {
    const data = (packet as { data?: unknown[] }).data;
    const subject = data?.[0] === event ? (data[1] as { subject?: unknown } | undefined)?.subject : undefined;
    const start = now();
    broadcast(packet, opts);
    if (typeof subject === 'string') seen.set(subject, { start, end: now() });
  };
  return seen;
}
