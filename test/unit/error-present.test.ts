import { expect } from 'chai';
import { AppError, type ErrorCode } from '../../server/errors/app-error.js';
import { errorTable } from '../../server/errors/error-table.js';
import { conflictFlash, presentError, SMTP_TRY_LATER } from '../../server/errors/present.js';
import { locales, t } from '../../server/i18n/i18n.js';

const codes = Object.keys(errorTable) as ErrorCode[];

/** An error of every kind, with a field, parameters and a wait, so every column shows. */
function sample(code: ErrorCode): AppError {
  return new AppError(code, `developer text of ${code}`, {
    params: { number: 7 },
    fields: [{ path: 'subject', key: 'validation.required' }],
    retryAfterSeconds: 3,
  });
}

/** The SMTP replies the inbound listener chose by hand before the table had them. */
const smtpBefore: Partial<Record<ErrorCode, [number, string]>> = {
  forbidden: [550, '5.7.1'],
  unauthenticated: [550, '5.7.1'],
  not_found: [550, '5.1.1'],
  validation: [554, '5.6.0'],
  bad_request: [554, '5.6.0'],
  payload_too_large: [552, '5.3.4'],
};

describe('presentError: one presenter over the error table', () => {
  it('has an SMTP reply and a form behaviour for every error code', () => {
    for (const code of codes) {
      const { smtp, form } = errorTable[code];
      expect(smtp.code, code).to.be.within(400, 599);
      expect(smtp.enhanced, code).to.match(new RegExp(`^${String(smtp.code)[0]}\\.\\d{1,3}\\.\\d{1,3}$`));
      expect(['re-render', 'flash', 'error-page'], code).to.include(form);
    }
  });

  for (const locale of locales) {
    it(`shows every code the same way on the page, the API and a socket (${locale})`, () => {
      for (const code of codes) {
        const mapping = errorTable[code];
        const err = sample(code);
        const message = mapping.expose
          ? t(locale, `errors.${code}`, { number: 7 })
          : t(locale, 'errors.internal');
        const fields = mapping.expose ? [{ path: 'subject', message: t(locale, 'validation.required') }] : [];
        const body = { error: { code, message, ...(fields.length ? { fields } : {}) } };

        const page = presentError(err, locale, 'page');
        expect(page.status, code).to.equal(mapping.status);
        expect(page.headers, code).to.deep.equal({ 'Retry-After': '3' });
        expect(page.view, code).to.equal(`errors/${mapping.view}`);
        expect(page.model, code).to.deep.equal({ title: message, message, fields, status: mapping.status });
        expect(page.form, code).to.equal(mapping.form);

        const api = presentError(err, locale, 'api');
        expect(api.status, code).to.equal(mapping.status);
        expect(api.headers, code).to.deep.equal({ 'Retry-After': '3' });
        expect(api.body, code).to.deep.equal(body);

        const socket = presentError(err, locale, 'socket');
        expect(socket.ack, code).to.deep.equal(body);
      }
    });
  }

  it('hides what an internal error says, and sends no Retry-After without a wait', () => {
    const internal = presentError(new Error('secret: connection string'), 'en', 'api');
    expect(internal.status).to.equal(500);
    expect(internal.body).to.deep.equal({ error: { code: 'internal', message: t('en', 'errors.internal') } });
    expect(internal.headers).to.deep.equal({});
  });

  it('gives every code the SMTP reply inbound mail got before: a reason when permanent, a retry when not', () => {
    for (const code of codes) {
      const [replyCode, enhanced] = smtpBefore[code] ?? [451, '4.3.0'];
      const { smtp, status } = presentError(sample(code), 'it', 'smtp');
      expect(status, code).to.equal(errorTable[code].status);
      expect(smtp.code, code).to.equal(replyCode);
      // Protocol text for the sending server: English, whatever the locale.
      expect(smtp.message, code).to.equal(
        replyCode >= 500 ? `${enhanced} developer text of ${code}` : `${enhanced} ${SMTP_TRY_LATER}`,
      );
    }
  });

  it('re-renders a form for validation, duplicate and conflict only, and flashes only a conflict', () => {
    const shown = codes.filter((code) => presentError(sample(code), 'en', 'page').form !== 'error-page');
    expect(shown.sort()).to.deep.equal(['conflict', 'duplicate', 'validation']);
    for (const code of codes) {
      const flash = conflictFlash(sample(code));
      if (errorTable[code].form === 'flash')
        expect(flash, code).to.deep.equal({ kind: 'error', key: `errors.${code}`, params: { number: 7 } });
      else expect(flash, code).to.equal(null);
    }
    expect(
      conflictFlash(
        new AppError('conflict', 'taken', { messageKey: 'queues.already_taken', params: { name: 'Ann' } }),
      ),
    ).to.deep.equal({
      kind: 'error',
      key: 'queues.already_taken',
      params: { name: 'Ann' },
    });
  });
});
