import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_PASSWORD } from '../../../server/seed/demo-data.js';
import { csrfFrom } from '../../support/browser-session.js';
import { spawnPortal, type SpawnedPortal } from '../../support/spawned-portal.js';
import { streamUpload as upload } from '../../support/uploads.js';

const MB = 1024 * 1024;
const BIG = 100 * MB;

/** The portal's resident memory, from /proc. */
function rssBytes(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

/** A session cookie of a signed-in user (GET /login for the token, POST /login). */
async function signIn(url: string, email: string): Promise<string> {
  const cookieOf = (res: Response) =>
    res.headers
      .getSetCookie()
      .find((c) => c.startsWith('desk.sid='))
      ?.split(';')[0] ?? '';
  const page = await fetch(`${url}/login`);
  const body = new URLSearchParams({ _csrf: csrfFrom(await page.text()), email, password: DEMO_PASSWORD });
  const res = await fetch(`${url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { Cookie: cookieOf(page), 'Content-Type': 'application/x-www-form-urlencoded' },
    body,
  });
  expect(res.status, 'signed in').to.equal(302);
  return cookieOf(res);
}

describe('uploads are refused before they cost memory', function () {
  this.timeout(240_000);
  let portal: SpawnedPortal;
  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'desk-upload-memory-'));
    portal = await spawnPortal({ DATA_DIR: dataDir, SEED_DEMO: 'true', JOBS_ENABLED: 'false' });
  });
  after(async () => {
    if (portal) await portal.signal('SIGTERM');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** Runs `work` while sampling the portal's RSS; returns its result and the largest growth seen. */
  async function measured<T>(work: () => Promise<T>): Promise<{ result: T; growth: number }> {
    const pid = portal.child.pid as number;
    global.gc?.();
    await new Promise((r) => setTimeout(r, 300));
    const before = rssBytes(pid);
    let peak = before;
    const timer = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 10);
    try {
      const result = await work();
      await new Promise((r) => setTimeout(r, 200));
      peak = Math.max(peak, rssBytes(pid));
      return { result, growth: peak - before };
    } finally {
      clearInterval(timer);
    }
  }

  it('answers four anonymous 100 MB uploads at once from their headers, and the portal grows by a few MB at most', async () => {
    // Warm the paths the refusal takes (error page, templates), so the measure is of the uploads.
    for (let i = 0; i < 3; i++)
      await upload(portal.url, '/tickets/new/invoice', {
        fields: { _csrf: 'x' },
        fileBytes: BIG,
        waitMs: 3000,
      });

    const { result, growth } = await measured(() =>
      Promise.all(
        ['/tickets/new/invoice', '/tickets/new/complaint', '/tickets/ACME-000001/replies', '/team'].map(
          (path) => upload(portal.url, path, { fields: { _csrf: 'forged' }, fileBytes: BIG, waitMs: 3000 }),
        ),
      ),
    );
    for (const r of result) {
      expect(r.status, r.body.slice(0, 200)).to.be.oneOf([401, 403, 415]);
      // The answer came while only the form's fields and the file part's start had been sent.
      expect(r.sentAtAnswer, 'bytes sent before the answer').to.be.below(64 * 1024);
    }
    expect(growth, `RSS growth ${(growth / MB).toFixed(1)} MB`).to.be.below(5 * MB);
    // Still serving.
    expect((await fetch(`${portal.url}/login`)).status).to.equal(200);
  });

  it('refuses a signed-in upload whose form token is wrong at the file, before its bytes are read', async () => {
    const cookie = await signIn(portal.url, 'user@acme.example');
    const { result, growth } = await measured(() =>
      Promise.all(
        [1, 2, 3, 4].map(() =>
          upload(portal.url, '/tickets/new/invoice', {
            cookie,
            fields: { _csrf: 'forged', subject: 'Big' },
            fileBytes: BIG,
            waitMs: 3000,
          }),
        ),
      ),
    );
    for (const r of result) {
      expect(r.status).to.equal(403);
      expect(r.sentAtAnswer).to.be.below(64 * 1024);
    }
    expect(growth, `RSS growth ${(growth / MB).toFixed(1)} MB`).to.be.below(5 * MB);
  });

  it('stops an accepted upload at the 10 MB cap while reading it', async () => {
    const cookie = await signIn(portal.url, 'user@acme.example');
    const form = await fetch(`${portal.url}/tickets/new/invoice`, { headers: { Cookie: cookie } });
    const token = csrfFrom(await form.text());
    const r = await upload(portal.url, '/tickets/new/invoice', {
      cookie,
      fields: { _csrf: token, subject: 'Big' },
      fileBytes: BIG,
    });
    expect(r.status).to.equal(422);
    // Refused at the cap, not after the whole 100 MB (what was in flight on the wire aside).
    expect(r.sentAtAnswer).to.be.below(40 * MB);
  });
});
