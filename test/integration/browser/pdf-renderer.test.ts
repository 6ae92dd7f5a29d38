import { expect } from 'chai';
import { pino } from 'pino';
import { AppError } from '../../../server/errors/app-error.js';
import { fromRoot } from '../../../server/paths.js';
import { createPdfRenderer, type PdfRenderer } from '../../../server/pdf/renderer.js';
import { chromiumPath } from '../../support/browser.js';
import { readPdf } from '../../support/pdf-text.js';

const refusal = async (work: Promise<unknown>): Promise<AppError> => {
  try {
    await work;
  } catch (err) {
    expect(err).to.be.instanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected a refusal');
};

/** The Chromium adapter on its own: time limit, queue limit, recovery and shutdown. */
describe('PDF renderer', function () {
  this.timeout(60_000);
  let pdf: PdfRenderer;
  const assets = [{ prefix: '/static', dir: fromRoot('public') }];
  const page = (body: string) =>
    `<!doctype html><html lang="en"><head><title>Test</title><link rel="stylesheet" href="/static/css/app.css"></head><body>${body}</body></html>`;

  before(() => {
    pdf = createPdfRenderer({
      chromiumPath,
      concurrency: 1,
      timeoutMs: 2500,
      log: pino({ level: 'silent' }),
    });
  });
  after(() => pdf?.close());

  it('prints a page, gives up on one that never gets ready, and turns away what waits too long', async () => {
    const text = (await readPdf(await pdf.render({ html: page('<h1>Hello PDF</h1>'), assets }))).text;
    expect(text).to.include('Hello PDF');

    const started = Date.now();
    const stuck = refusal(
      pdf.render({ html: page('<p>never ready</p>'), assets, readySelector: 'html[data-never]' }),
    );
    const queued = refusal(pdf.render({ html: page('<p>queued</p>'), assets }));
    expect((await stuck).messageKey).to.equal('pdf.timeout');
    expect((await queued).messageKey).to.equal('pdf.busy');
    expect(Date.now() - started).to.be.lessThan(6000);

    // The slot and the browser are fine afterwards.
    expect((await readPdf(await pdf.render({ html: page('<p>after</p>'), assets }))).text).to.include(
      'after',
    );
  });

  it('refuses after close', async () => {
    await pdf.close();
    const err = await refusal(pdf.render({ html: page('<p>late</p>'), assets }));
    expect(err.code).to.equal('unavailable');
  });
});
