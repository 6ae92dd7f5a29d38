import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project root, whether this runs from `server/` through tsx or from `dist/server/`
 * after a build: the nearest folder above with a package.json.
 */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('project root not found');
    dir = parent;
  }
  return dir;
}

export const projectRoot = findRoot();
export const fromRoot = (...parts: string[]): string => resolve(projectRoot, ...parts);
