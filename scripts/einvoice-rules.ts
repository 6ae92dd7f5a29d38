/**
 * Installs the official e-invoice rule files (einvoice-rules/sources.json) into
 * einvoice-rules/build/: each jar from Maven Central (or the local ~/.m2 copy) checked against its
 * SHA-256, the listed XSD and XSLT files extracted, the schema imports Java resolves by catalogue
 * given the file beside them (the only change made); then builds the validator that runs them
 * (einvoice-validator/, a Java 17 jar, with Maven, like devdb/). Idempotent: a build whose stamp
 * matches sources.json and this script, and a jar newer than its sources, are left as they are.
 * Run by `npm run einvoice-rules` (prestart, pretest, .ci/run) and by the tests that need it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import yauzl from 'yauzl';
import { fromRoot } from '../server/paths.js';

interface Extract {
  from: string;
  to: string;
}
interface Artifact {
  coordinates: string;
  sha256: string;
  licence: string;
  extract: Extract[];
}
interface Sources {
  repository: string;
  artifacts: Artifact[];
  schemaLocations: { map: Record<string, string> };
}

/** Bumped when what this script writes changes (the stamp then no longer matches). */
const SCRIPT_VERSION = 2;
const SOURCES = fromRoot('einvoice-rules/sources.json');
const BUILD = fromRoot('einvoice-rules/build');

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

function jarPath(coordinates: string): string {
  const [group, artifact, version] = coordinates.split(':') as [string, string, string];
  return `${group.replace(/\./g, '/')}/${artifact}/${version}/${artifact}-${version}.jar`;
}

/** The jar's bytes: the local Maven repository's copy when it has the right sum, else downloaded. */
async function fetchJar(repository: string, artifact: Artifact): Promise<Buffer> {
  const path = jarPath(artifact.coordinates);
  const local = join(homedir(), '.m2', 'repository', path);
  if (existsSync(local)) {
    const bytes = await readFile(local);
    if (sha256(bytes) === artifact.sha256) return bytes;
  }
  const res = await fetch(`${repository}/${path}`, { signal: AbortSignal.timeout(120_000) });
  if (!res.ok) throw new Error(`einvoice-rules: ${artifact.coordinates}: HTTP ${res.status}`);
  const bytes = Buffer.from(await res.arrayBuffer());
  const sum = sha256(bytes);
  if (sum !== artifact.sha256)
    throw new Error(`einvoice-rules: ${artifact.coordinates}: sha256 ${sum}, expected ${artifact.sha256}`);
  return bytes;
}

/** Every entry of a jar whose name is or starts with one of `wanted`, as name -> bytes. */
function readJar(bytes: Buffer, wanted: string[]): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(bytes, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      const out = new Map<string, Buffer>();
      zip.on('error', reject);
      zip.on('end', () => resolve(out));
      zip.on('entry', (entry: yauzl.Entry) => {
        const name = entry.fileName;
        if (name.endsWith('/') || !wanted.some((w) => (w.endsWith('/') ? name.startsWith(w) : name === w)))
          return zip.readEntry();
        zip.openReadStream(entry, (e, stream) => {
          if (e) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            out.set(name, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

/** `<xsd:import namespace="N"/>` without a location gets the file beside it, when that file is there. */
async function fixSchemaLocations(dir: string, map: Record<string, string>): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.xsd')) continue;
    const file = join(entry.parentPath, entry.name);
    const text = await readFile(file, 'utf8');
    const fixed = text.replace(
      /<(xsd?):import\s+namespace="([^"]+)"\s*\/>/g,
      (whole, prefix: string, ns: string) => {
        const location = map[ns];
        return location && existsSync(join(entry.parentPath, location))
          ? `<${prefix}:import namespace="${ns}" schemaLocation="${location}"/>`
          : whole;
      },
    );
    if (fixed !== text) await writeFile(file, fixed);
  }
}

const VALIDATOR = fromRoot('einvoice-validator');
export const VALIDATOR_JAR = join(VALIDATOR, 'target', 'einvoice-validator.jar');

async function newestSource(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
  }
  return newest;
}

async function validatorIsFresh(): Promise<boolean> {
  if (!existsSync(VALIDATOR_JAR)) return false;
  const built = (await stat(VALIDATOR_JAR)).mtimeMs;
  return (
    built >= (await stat(join(VALIDATOR, 'pom.xml'))).mtimeMs &&
    built >= (await newestSource(join(VALIDATOR, 'src')))
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * einvoice-validator/target/einvoice-validator.jar, built with Maven when missing or older than its
 * sources (`mvn -q -B -f einvoice-validator/pom.xml package`; Saxon-HE from Maven Central). One
 * build at a time across processes (a lock directory, taken over after 10 minutes).
 */
export async function ensureValidatorJar(log: (line: string) => void = () => {}): Promise<string> {
  if (await validatorIsFresh()) return VALIDATOR_JAR;
  const lock = join(VALIDATOR, '.build-lock');
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch {
      const since = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (since > 10 * 60_000) await rm(lock, { recursive: true, force: true });
      else await sleep(500);
    }
  }
  try {
    if (await validatorIsFresh()) return VALIDATOR_JAR;
    log('einvoice-rules: building einvoice-validator/target/einvoice-validator.jar (Maven)');
    await promisify(execFile)(
      'mvn',
      ['-q', '-B', '-f', join(VALIDATOR, 'pom.xml'), 'package', '-DskipTests'],
      { maxBuffer: 16 * 1024 * 1024, timeout: 10 * 60_000 },
    );
    return VALIDATOR_JAR;
  } finally {
    await rmdir(lock).catch(() => undefined);
  }
}

/** The stamp a complete build carries: what it was built from. */
async function expectedStamp(): Promise<string> {
  return sha256(`${SCRIPT_VERSION}\n${await readFile(SOURCES, 'utf8')}`);
}

export async function rulesAreInstalled(): Promise<boolean> {
  try {
    return (await readFile(join(BUILD, 'stamp'), 'utf8')).trim() === (await expectedStamp());
  } catch {
    return false;
  }
}

/** Builds einvoice-rules/build/ unless it is already complete for these sources, and the validator. */
export async function ensureEInvoiceRules(log: (line: string) => void = () => {}): Promise<void> {
  await installRules(log);
  await ensureValidatorJar(log);
}

async function installRules(log: (line: string) => void): Promise<void> {
  if (await rulesAreInstalled()) return;
  const sources = JSON.parse(await readFile(SOURCES, 'utf8')) as Sources;
  const tmp = `${BUILD}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  try {
    for (const artifact of sources.artifacts) {
      log(`einvoice-rules: ${artifact.coordinates}`);
      const entries = await readJar(
        await fetchJar(sources.repository, artifact),
        artifact.extract.map((e) => e.from),
      );
      for (const { from, to } of artifact.extract) {
        const matched = [...entries].filter(([name]) =>
          from.endsWith('/') ? name.startsWith(from) : name === from,
        );
        if (matched.length === 0) throw new Error(`einvoice-rules: ${artifact.coordinates} has no ${from}`);
        for (const [name, bytes] of matched) {
          const target = join(tmp, from.endsWith('/') ? to + name.slice(from.length) : to);
          await mkdir(dirname(target), { recursive: true });
          await writeFile(target, bytes);
        }
      }
    }
    await fixSchemaLocations(join(tmp, 'xsd'), sources.schemaLocations.map);
    await writeFile(join(tmp, 'stamp'), `${await expectedStamp()}\n`);
    // Another process may have finished first: its build is as good as this one.
    if (await rulesAreInstalled()) return;
    await rm(BUILD, { recursive: true, force: true });
    await rename(tmp, BUILD);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = Date.now();
  ensureEInvoiceRules((line) => process.stdout.write(`${line}\n`))
    .then(() => process.stdout.write(`einvoice-rules: ready in ${BUILD} (${Date.now() - started} ms)\n`))
    .catch((err: unknown) => {
      process.stderr.write(`${String((err as Error).stack ?? err)}\n`);
      process.exitCode = 1;
    });
}
