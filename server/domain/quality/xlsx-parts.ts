import { createReadStream, createWriteStream, ReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PassThrough, type Readable } from 'node:stream';
import archiver from 'archiver';
import yauzl from 'yauzl';

/**
 * An XLSX file's parts in the order exceljs's streaming reader needs them.
 *
 * That reader reads the ZIP front to back and names a worksheet from `xl/workbook.xml`; when a
 * worksheet comes first (openpyxl and pandas write the workbook part last, exceljs's own writer
 * sometimes does) it fails with "Cannot read properties of undefined (reading 'sheets')"
 * (exceljs issue 3064, open). So the file is opened through its central directory (yauzl, from
 * disk: the upload is on disk already, anything else is spooled there first) and the reader is
 * given the file as it is when it can read it so (readableAsIs), else a new ZIP holding only what
 * it reads, in its order: the workbook's relations, the workbook, shared strings, styles, then the
 * first worksheet (deflated at the fastest level as it is read: memory stays a stream's buffers
 * whatever the file's size). The import reads a file twice (check, then insert): a file from
 * memory is spooled each time, a small one (the form's); the API's upload is read in place.
 */

const leading = ['xl/_rels/workbook.xml.rels', 'xl/workbook.xml', 'xl/sharedStrings.xml', 'xl/styles.xml'];
const worksheet = /^xl\/worksheets\/sheet(\d+)\.xml$/;

export interface OrderedXlsx {
  /** The ZIP to give the reader (the file, or its parts reordered). */
  stream: Readable;
  /**
   * The failure that ended `stream` early, if any: the reader would wait forever for bytes from
   * a source that failed (it pipes, which does not pass errors on), so `stream` ends instead and
   * the reader's caller asks this before trusting what it read.
   */
  failure(): unknown;
  close(): Promise<void>;
}

const openZip = (path: string) =>
  new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(
      path,
      { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false },
      (err, zip) => (err ? reject(err) : resolve(zip)),
    ),
  );

const entriesOf = (zip: yauzl.ZipFile) =>
  new Promise<Map<string, yauzl.Entry>>((resolve, reject) => {
    const found = new Map<string, yauzl.Entry>();
    zip.on('error', reject);
    zip.on('end', () => resolve(found));
    zip.on('entry', (entry: yauzl.Entry) => {
      found.set(entry.fileName, entry);
      zip.readEntry();
    });
    zip.readEntry();
  });

const openEntry = (zip: yauzl.ZipFile, entry: yauzl.Entry) =>
  new Promise<Readable>((resolve, reject) =>
    zip.openReadStream(entry, (err, stream) => (err ? reject(err) : resolve(stream))),
  );

/** The parts to give the reader, in order; throws when the file is no workbook. */
function partsInOrder(entries: Map<string, yauzl.Entry>): yauzl.Entry[] {
  const sheets = [...entries.keys()]
    .map((name) => ({ name, n: Number(worksheet.exec(name)?.[1] ?? NaN) }))
    .filter((s) => Number.isFinite(s.n))
    .sort((a, b) => a.n - b.n);
  const first = sheets[0];
  if (!first || !entries.has('xl/workbook.xml'))
    throw new Error('not an XLSX workbook (no workbook part or worksheet)');
  return [...leading, first.name].flatMap((name) => entries.get(name) ?? []);
}

/**
 * Whether exceljs reads the file as it is. The first worksheet it meets must be the workbook's
 * first (the lowest-numbered part: Excel, LibreOffice and openpyxl number them in tab order). It
 * parses a worksheet as it comes once it has the shared strings and the workbook's relations, and
 * names it from the workbook part, so it fails only when those two come before the first worksheet
 * and the workbook part after it; in every other order it keeps the worksheets in temporary files
 * until the end (its own way).
 */
function readableAsIs(entries: Map<string, yauzl.Entry>, sheet: yauzl.Entry): boolean {
  const at = (name: string) => entries.get(name)?.relativeOffsetOfLocalHeader ?? Infinity;
  const firstSheet = Math.min(
    ...[...entries.values()]
      .filter((e) => worksheet.test(e.fileName))
      .map((e) => e.relativeOffsetOfLocalHeader),
  );
  // The reader takes the first worksheet it meets: it must be the workbook's first.
  if (sheet.relativeOffsetOfLocalHeader !== firstSheet) return false;
  const parsedLive = at('xl/sharedStrings.xml') < firstSheet && at('xl/_rels/workbook.xml.rels') < firstSheet;
  return !parsedLive || at('xl/workbook.xml') < firstSheet;
}

/** The file on disk: its own path when it is read from one, else a spooled copy (removed by close). */
async function onDisk(input: Readable): Promise<{ path: string; dir: string | null }> {
  if (input instanceof ReadStream && typeof input.path === 'string') {
    const path = input.path;
    input.destroy();
    return { path, dir: null };
  }
  const dir = await mkdtemp(join(tmpdir(), 'xlsx-'));
  const path = join(dir, 'workbook.xlsx');
  await pipeline(input, createWriteStream(path));
  return { path, dir };
}

/** Excel's and LibreOffice's files, and most others: the file itself, no copy. */
function asItIs(zip: yauzl.ZipFile, path: string, fail: (err: unknown) => void): Readable {
  zip.close();
  return createReadStream(path).on('error', fail);
}

/**
 * The parts in the reader's order, as a new ZIP. Deflated at the fastest level: a stored entry
 * from a stream is held whole in memory by the ZIP writer (it needs the size before the data),
 * and a sheet's XML can be hundreds of MB.
 */
async function reordered(
  zip: yauzl.ZipFile,
  parts: yauzl.Entry[],
  fail: (err: unknown) => void,
): Promise<Readable> {
  const out = archiver('zip', { zlib: { level: 1 } });
  out.on('error', fail);
  for (const entry of parts) {
    const stream = await openEntry(zip, entry);
    stream.on('error', fail);
    out.append(stream, { name: entry.fileName });
  }
  out.finalize().catch(fail);
  return out;
}

export async function orderedXlsx(input: Readable): Promise<OrderedXlsx> {
  const { path, dir } = await onDisk(input);
  const cleanup = () => (dir ? rm(dir, { recursive: true, force: true }) : Promise.resolve());
  let zip: yauzl.ZipFile | null = null;
  try {
    zip = await openZip(path);
    const entries = await entriesOf(zip);
    const parts = partsInOrder(entries);
    let failure: unknown = null;
    const feed = new PassThrough();
    const fail = (err: unknown) => {
      failure ??= err;
      feed.end();
    };
    const source = readableAsIs(entries, parts[parts.length - 1] as yauzl.Entry)
      ? asItIs(zip, path, fail)
      : await reordered(zip, parts, fail);
    source.pipe(feed);
    return {
      stream: feed,
      failure: () => failure,
      close: async () => {
        source.destroy();
        feed.destroy();
        zip?.close();
        await cleanup();
      },
    };
  } catch (err) {
    zip?.close();
    await cleanup();
    throw err;
  }
}
