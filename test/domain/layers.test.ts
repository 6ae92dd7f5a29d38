import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The domain's folders depend one way. A folder may import only folders of a LOWER rank (never
 * one of its own rank, so no two folders can form a loop); the files at the domain's root are the
 * ground everything stands on and import nothing above them. A new folder fails this test until
 * it is given its place here: decide where it stands rather than letting imports decide.
 */
const ranks: Record<string, number> = {
  // Forgets every cache of every area (tests' one reset), so it stands above them all.
  'caches.ts': 8,
  // Channels that turn what arrives (a mail) into tickets or e-invoices, whichever it holds.
  intake: 7,
  // Macros apply a reply through the queues' one-step reply path (reply-and-set-status.ts).
  macros: 7,
  // Purges what every area keeps past its time (imports, uploads, webhook history).
  housekeeping: 7,
  // Data subjects' requests (export, erasure) read every area's data and respect retention's holds.
  privacy: 6.7,
  // Retention policies, legal holds and the purge: read tickets, e-invoices and files of every area.
  retention: 6.5,
  // Each role's home page: gathers what the queues, reports, health and mail areas give it.
  home: 7,
  // Readers and composers of everything below: pages' views, reports, upkeep.
  queues: 6,
  reports: 6,
  health: 6,
  // Quality control of keyed data reads ticket fields' number and VAT rules; the reports read its
  // accuracy figures, so it stands just below them.
  quality: 5.5,
  // E-invoice reading maps files onto the invoice ticket's fields and VAT rules.
  einvoices: 6,
  // Webhooks hear about changes through the event bus and the timeline, never called by them.
  webhooks: 6,
  // API idempotency keys, read by the API adapter only.
  api: 6,
  // The work itself.
  tickets: 5,
  // Satisfaction surveys: the signed link and the survey a resolved mail offers (tickets rate through it).
  csat: 4,
  sla: 3,
  tenants: 2,
  auth: 1,
  // Below every area: the audit trail and outgoing mail record what the others do.
  audit: 0,
  mail: 0,
  // The ground.
  'context.ts': -1,
  'events.ts': -1,
  'settings.ts': -1,
  // Pure arithmetic: the Wilson interval quality control and the CSAT reports share.
  'wilson-interval.ts': -1,
  // Pure text: a literal as a regular expression (searches, exact lookups).
  'regex.ts': -1,
  'network-problems.ts': -1,
  'read-cache.ts': -2,
  'provider.ts': -1,
};

const domainRoot = join(import.meta.dirname, '../../server/domain');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** The domain part a path lies in: its first folder under server/domain, or the root file's name. */
const partOf = (path: string): string => relative(domainRoot, path).split('/')[0] ?? '';

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1] ?? '');
}

describe('the domain folders depend one way', () => {
  const files = sourceFiles(domainRoot);

  it('gives every folder and root file of the domain a rank', () => {
    const unplaced = [...new Set(files.map(partOf))].filter((part) => !(part in ranks));
    expect(unplaced, 'add them to the rank table of this test').to.deep.equal([]);
  });

  it('imports only from lower ranks (tickets -> sla -> tenants -> auth, audit below them)', () => {
    const upward: string[] = [];
    for (const file of files) {
      const from = partOf(file);
      for (const spec of importsOf(file)) {
        const target = join(file, '..', spec);
        if (!target.startsWith(domainRoot + '/')) continue;
        const to = partOf(target.replace(/\.js$/, '.ts'));
        if (to === from) continue;
        if (!((ranks[from] ?? 99) > (ranks[to] ?? 99)))
          upward.push(`${relative(domainRoot, file)} -> ${relative(domainRoot, target)}`);
      }
    }
    expect(upward).to.deep.equal([]);
  });
});
