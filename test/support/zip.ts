import archiver from 'archiver';
import yauzl from 'yauzl';

/** Every entry of a ZIP archive, by name, in the archive's order. */
export async function unzip(buffer: Buffer): Promise<Map<string, Buffer>> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(buffer, { lazyEntries: true }, (err, file) => (err ? reject(err) : resolve(file))),
  );
  const entries = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          entries.set(entry.fileName, Buffer.concat(chunks));
          zip.readEntry();
        });
      });
    });
    zip.on('end', resolve);
    zip.on('error', reject);
    zip.readEntry();
  });
  return entries;
}

/** The same archive with its entries in another order (or some left out): what other writers do. */
export async function rezip(buffer: Buffer, order: (names: string[]) => string[]): Promise<Buffer> {
  const parts = await unzip(buffer);
  const out = archiver('zip');
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((resolve) => out.on('end', resolve));
  for (const name of order([...parts.keys()])) out.append(parts.get(name) as Buffer, { name });
  await out.finalize();
  await ended;
  return Buffer.concat(chunks);
}
