import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

/** A pino logger at info whose lines a test can read back (the engine's stderr arrives through it). */
export function capturedLog(): { log: Logger; lines: () => string[]; clear: () => void } {
  let lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        try {
          lines.push(String((JSON.parse(line) as { msg?: unknown }).msg ?? line));
        } catch {
          lines.push(line);
        }
      }
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines: () => lines, clear: () => (lines = []) };
}
