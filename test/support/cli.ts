import { spawn } from 'node:child_process';
import { fromRoot } from '../../server/paths.js';

/** Runs `npm run cli -- ARGS` (server/cli/main.ts) in a child process: its exit code, all output, and stdout alone. */
export function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fromRoot('server', 'cli', 'main.ts'), ...args],
      {
        cwd: fromRoot(),
        env: { ...process.env, LOG_LEVEL: 'error', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => resolve({ code, out, stdout }));
  });
}
