import { DOMParser } from '@xmldom/xmldom';
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import SaxonJS from 'saxon-js';

/**
 * The Schematron worker (validate-schematron.ts starts it): runs the official rule sets, compiled
 * to SaxonJS SEF files by scripts/einvoice-rules.ts, over one invoice at a time and returns what
 * the SVRL report says (failed asserts and successful reports). A worker thread, so that a long
 * run never blocks the portal and can be stopped (terminated) when it takes too long.
 */

export interface SchematronRequest {
  id: number;
  xml: string;
  sets: string[];
}

export interface SvrlItem {
  set: string;
  id: string;
  flag: string;
  location: string;
  text: string;
}

export type SchematronReply = { id: number; items: SvrlItem[] } | { id: number; error: string };

const SVRL = 'http://purl.oclc.org/dsdl/svrl';
const { sefDir } = workerData as { sefDir: string };
const stylesheets = new Map<string, unknown>();

function stylesheet(set: string): unknown {
  let sef = stylesheets.get(set);
  if (sef === undefined) {
    sef = JSON.parse(readFileSync(`${sefDir}/${set}.sef.json`, 'utf8')) as unknown;
    stylesheets.set(set, sef);
  }
  return sef;
}

function itemsOf(set: string, svrl: string): SvrlItem[] {
  const doc = new DOMParser().parseFromString(svrl, 'text/xml');
  const items: SvrlItem[] = [];
  for (const tag of ['failed-assert', 'successful-report']) {
    const nodes = doc.getElementsByTagNameNS(SVRL, tag);
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes.item(i);
      if (!node) continue;
      const text = node.getElementsByTagNameNS(SVRL, 'text').item(0)?.textContent ?? '';
      items.push({
        set,
        id: node.getAttribute('id') ?? '',
        flag: node.getAttribute('flag') ?? (tag === 'failed-assert' ? 'fatal' : 'information'),
        location: node.getAttribute('location') ?? '',
        text: text.replace(/\s+/g, ' ').trim(),
      });
    }
  }
  return items;
}

parentPort?.on('message', (req: SchematronRequest) => {
  try {
    const items = req.sets.flatMap((set) => {
      const result = SaxonJS.transform(
        { stylesheetInternal: stylesheet(set), sourceText: req.xml, destination: 'serialized' },
        'sync',
      );
      return itemsOf(set, result.principalResult);
    });
    parentPort?.postMessage({ id: req.id, items } satisfies SchematronReply);
  } catch (err) {
    parentPort?.postMessage({
      id: req.id,
      error: (err instanceof Error ? err.message : String(err)).slice(0, 500),
    } satisfies SchematronReply);
  }
});
