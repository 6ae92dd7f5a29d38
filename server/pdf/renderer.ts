import { existsSync } from 'node:fs';
import type { Browser, BrowserContext, Route } from 'playwright-core';
import type { Logger } from 'pino';
import { AppError } from '../errors/app-error.js';
import { assetFile, type AssetRoot } from './assets.js';
import { Limiter } from './limiter.js';

/**
 * HTML to PDF with headless Chromium, so a PDF is the very page a browser prints: same
 * template, same CSS (`@media print`), same charts.
 *
 * - One browser per process, started on the first PDF (the portal starts as fast without one
 *   and runs fine where none is installed: PDFs then answer 503) and started again after a
 *   crash. Each PDF gets its own browser context, closed afterwards.
 * - At most `concurrency` pages at once; a PDF that has not finished `timeoutMs` after it was
 *   asked for (waiting included) fails with 503 and its page is closed.
 * - The page has no network: its document and the files under `assets` are served from here,
 *   every other request is refused, and a CSP keeps its scripts to those files.
 */

export interface PdfRendererOptions {
  chromiumPath: string;
  concurrency: number;
  timeoutMs: number;
  log: Logger;
}

export interface PdfJob {
  html: string;
  /** Where the page's `/static/...`-style URLs are read from. */
  assets: readonly AssetRoot[];
  /** A selector the page's scripts add once they have drawn; waited for before printing. */
  readySelector?: string;
  /** Chromium footer template (its own tiny document: inline styles, `pageNumber` spans). */
  footerHtml?: string;
}

export interface PdfRenderer {
  render(job: PdfJob): Promise<Buffer>;
  close(): Promise<void>;
}

const ORIGIN = 'http://pdf.invalid';
const DOCUMENT = `${ORIGIN}/document`;
/** How long Chromium may take to start (a cold start on a busy machine takes seconds). */
const LAUNCH_TIMEOUT_MS = 30_000;
/** A4 less 15 mm margins each side, in CSS pixels: the width the page is laid out (and charts drawn) at. */
const PRINT_WIDTH_PX = 680;
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:";

const unavailable = (messageKey: string, message: string, cause?: unknown): AppError =>
  new AppError('unavailable', message, { messageKey, retryAfterSeconds: 60, cause });

// Long function: a factory whose closures share the browser, the queue and the limiter.
export function createPdfRenderer(options: PdfRendererOptions): PdfRenderer {
  const { chromiumPath, timeoutMs, log } = options;
  const limiter = new Limiter(options.concurrency);
  let launching: Promise<Browser> | null = null;
  let closed = false;

  const launch = async (): Promise<Browser> => {
    if (!existsSync(chromiumPath))
      throw unavailable('pdf.unavailable', `no chromium at ${chromiumPath} (CHROMIUM_PATH)`);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      timeout: Math.max(timeoutMs, LAUNCH_TIMEOUT_MS),
      // The portal's own shutdown closes the browser; playwright's handlers would race it.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      args: [
        // Chromium's sandbox cannot start as root; the pages are our own and have no network.
        ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-extensions',
      ],
    });
    log.info({ chromiumPath, version: browser.version() }, 'pdf browser started');
    return browser;
  };
  const browser = (): Promise<Browser> => {
    if (closed) return Promise.reject(unavailable('pdf.unavailable', 'pdf renderer closed'));
    if (launching) return launching;
    const attempt = launch().catch((err: unknown) => {
      if (launching === attempt) launching = null;
      if (err instanceof AppError) throw err;
      log.error({ err, chromiumPath }, 'pdf browser did not start');
      throw unavailable('pdf.unavailable', 'chromium did not start', err);
    });
    launching = attempt;
    attempt.then(
      (b) =>
        b.on('disconnected', () => {
          if (closed) return;
          log.warn('pdf browser went away; the next PDF starts another');
          if (launching === attempt) launching = null;
        }),
      () => undefined,
    );
    return attempt;
  };

  const print = async (context: BrowserContext, job: PdfJob, until: number): Promise<Buffer> => {
    const left = (): number => Math.max(1, until - Date.now());
    await context.route('**/*', (route: Route) => {
      const url = new URL(route.request().url());
      if (url.origin !== ORIGIN) return route.abort('blockedbyclient');
      if (url.href === DOCUMENT)
        return route.fulfill({
          status: 200,
          contentType: 'text/html; charset=utf-8',
          body: job.html,
          headers: { 'Content-Security-Policy': CSP },
        });
      const file = assetFile(job.assets, url.pathname);
      return file ? route.fulfill({ path: file }) : route.fulfill({ status: 404, body: '' });
    });
    const page = await context.newPage();
    await page.emulateMedia({ media: 'print' });
    await page.goto(DOCUMENT, { waitUntil: 'load', timeout: left() });
    if (job.readySelector)
      await page.waitForSelector(job.readySelector, { state: 'attached', timeout: left() });
    return page.pdf({
      preferCSSPageSize: true,
      format: 'A4',
      printBackground: true,
      tagged: true,
      outline: true,
      displayHeaderFooter: !!job.footerHtml,
      headerTemplate: '<span></span>',
      footerTemplate: job.footerHtml ?? '<span></span>',
    });
  };

  return {
    async render(job: PdfJob): Promise<Buffer> {
      if (closed) throw unavailable('pdf.unavailable', 'pdf renderer closed');
      if (!(await limiter.acquire(Date.now() + timeoutMs)))
        throw unavailable('pdf.busy', `no pdf slot within ${timeoutMs} ms (${limiter.pending} waiting)`);
      let b: Browser;
      try {
        // Starting the browser (the first PDF after a start, or after it went away) has its own
        // limit: a slow start is not the page's fault and must not count against its time.
        b = await browser();
      } catch (err) {
        limiter.release();
        throw err;
      }
      const until = Date.now() + timeoutMs;
      let context: BrowserContext | null = null;
      let expired = false;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => {
            expired = true;
            reject(unavailable('pdf.timeout', `pdf not rendered within ${timeoutMs} ms`));
          },
          Math.max(1, until - Date.now()),
        );
      });
      const work = async (): Promise<Buffer> => {
        const fresh = await b.newContext({
          viewport: { width: PRINT_WIDTH_PX, height: 960 },
          deviceScaleFactor: 2,
          serviceWorkers: 'block',
        });
        // Out of time while it opened: nobody will close it below.
        if (expired) {
          await fresh.close().catch(() => undefined);
          throw unavailable('pdf.timeout', 'pdf timed out while starting');
        }
        context = fresh;
        return print(fresh, job, until);
      };
      try {
        const pdf = await Promise.race([work(), deadline]);
        log.debug({ ms: timeoutMs - (until - Date.now()), bytes: pdf.length }, 'pdf rendered');
        return pdf;
      } catch (err) {
        if (err instanceof AppError) throw err;
        if ((err as Error).name === 'TimeoutError')
          throw unavailable('pdf.timeout', 'pdf rendering timed out', err);
        // A browser that crashed or closed under the page: the next PDF starts another one.
        throw unavailable('pdf.failed', 'pdf rendering failed', err);
      } finally {
        clearTimeout(timer);
        await (context as BrowserContext | null)?.close().catch(() => undefined);
        limiter.release();
      }
    },

    async close(): Promise<void> {
      closed = true;
      const pending = launching;
      launching = null;
      const b = await pending?.catch(() => null);
      await b?.close().catch(() => undefined);
    },
  };
}
