import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fromRoot } from '../paths.js';

/**
 * The files pages load, by URL prefix: ours under /static, and Chart.js's browser build
 * straight from its package (no copy to keep in step on upgrades). The PDF renderer serves
 * its pages from the same list, so a PDF looks as the page does.
 */
export const staticRoots = [
  { prefix: '/static', dir: fromRoot('public') },
  { prefix: '/vendor/chart.js', dir: dirname(createRequire(import.meta.url).resolve('chart.js')) },
] as const;
