import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The session secret of a development portal without SESSION_SECRET: made once and kept in
 * DATA_DIR/session-secret (readable by its owner only), so that a restart (`npm run dev` restarts
 * on every change) does not sign everyone out. Production requires SESSION_SECRET (config.ts).
 */
export function devSessionSecret(dataDir: string): string {
  const file = join(dataDir, 'session-secret');
  try {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept.length >= 32) return kept;
  } catch {
    // not made yet
  }
  const secret = randomBytes(32).toString('hex');
  try {
    mkdirSync(dataDir, { recursive: true });
    // 'wx': two portals starting together keep the first one's secret.
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch {
    try {
      const kept = readFileSync(file, 'utf8').trim();
      if (kept.length >= 32) return kept;
    } catch {
      // an unwritable data dir: a per-process secret, as before
    }
    return secret;
  }
}
