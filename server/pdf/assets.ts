import { statSync } from 'node:fs';
import { resolve, sep } from 'node:path';

/** A URL prefix the rendered page may load files from, and the folder behind it. */
export interface AssetRoot {
  prefix: string;
  dir: string;
}

/**
 * The file behind a URL path under one of the roots, or null: outside every root, escaping
 * its folder (`..`, encoded or not) or not a regular file. The page being printed gets these
 * files and nothing else, so it looks as in a browser without any network access.
 */
export function assetFile(roots: readonly AssetRoot[], pathname: string): string | null {
  let path: string;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  for (const root of roots) {
    const prefix = root.prefix.endsWith('/') ? root.prefix : `${root.prefix}/`;
    if (!path.startsWith(prefix)) continue;
    const base = resolve(root.dir);
    const file = resolve(base, `.${sep}${path.slice(prefix.length)}`);
    if (!file.startsWith(base + sep)) return null;
    try {
      return statSync(file).isFile() ? file : null;
    } catch {
      return null;
    }
  }
  return null;
}
