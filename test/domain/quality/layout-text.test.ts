import { expect } from 'chai';
import { fieldsFromText, fieldsToText } from '../../../server/domain/quality/layout-text.js';
import { recordLayoutSchema } from '../../../server/domain/quality/record-layout.js';

/** The layout editor's fields box: one field per line, read and written back the same. */
describe('layout fields as text', () => {
  const text = [
    'vat; Supplier VAT; vat; required; critical; ',
    'total; Total; number; required; major; 2 0..1000',
    'kind; Kind; code; optional; minor; INV, CN',
    'note; Note; text; optional; minor; 40',
    'day; Issue date; date; required; major; ',
  ].join('\n');

  it('reads every type and writes it back unchanged', () => {
    const { fields, errors } = fieldsFromText(text);
    expect(errors).to.deep.equal([]);
    const layout = recordLayoutSchema.parse({
      name: 'L',
      aql: { critical: 0.65, major: 1, minor: 2.5 },
      fields,
    });
    expect(layout.fields[1]).to.deep.include({ type: 'number', decimals: 2, min: 0, max: 1000 });
    expect(layout.fields[2]).to.deep.include({ codes: ['INV', 'CN'], required: false, class: 'minor' });
    expect(fieldsToText(layout.fields)).to.equal(text);
  });

  it('names each line it cannot read', () => {
    const { errors } = fieldsFromText(
      'a; A; colour; required; major\n\nb; B; text; maybe; major\nc; C; number; required; fatal\nd; D; number; optional; minor; two',
    );
    expect(errors).to.deep.equal([
      { line: 1, key: 'keying.layout_text.type' },
      { line: 3, key: 'keying.layout_text.required' },
      { line: 4, key: 'keying.layout_text.class' },
      { line: 5, key: 'keying.layout_text.number' },
    ]);
  });
});
