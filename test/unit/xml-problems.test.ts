import { expect } from 'chai';
import { schemaProblem } from '../../server/domain/einvoices/xml-problems.js';
import { locales, t } from '../../server/i18n/i18n.js';

/** The JDK validator's messages (as it writes them) read as problems, translated in every language. */
describe('schema validator messages as problems', () => {
  const messages: Array<[string, Record<string, string>]> = [
    [
      'cvc-complex-type.2.4.a: Invalid content was found starting with element \'{"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2":Note}\'. One of \'{"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2":IssueDate}\' is expected.',
      { problem: 'unexpected_element', element: 'Note', expected: 'IssueDate' },
    ],
    [
      "cvc-complex-type.2.4.b: The content of element 'DatiGenerali' is not complete. One of '{DatiOrdineAcquisto, DatiContratto}' is expected.",
      { problem: 'incomplete', element: 'DatiGenerali', expected: 'DatiOrdineAcquisto, DatiContratto' },
    ],
    [
      "cvc-pattern-valid: Value '12345' is not facet-valid with respect to pattern '[0-9]{11}' for type 'CodiceFiscalePFType'.",
      { problem: 'pattern', value: '12345', type: 'CodiceFiscalePFType' },
    ],
    [
      "cvc-enumeration-valid: Value 'TD99' is not facet-valid with respect to enumeration '[TD01, TD02, TD04]'. It must be a value from the enumeration.",
      { problem: 'enumeration', value: 'TD99', allowed: 'TD01, TD02, TD04' },
    ],
    [
      "cvc-maxLength-valid: Value 'ABCDEFGHIJKLMNOPQRSTUVWXYZ' with length = '26' is not facet-valid with respect to maxLength '20' for type 'String20Type'.",
      { problem: 'max_length', value: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', max: '20' },
    ],
    [
      "cvc-datatype-valid.1.2.1: 'yesterday' is not a valid value for 'date'.",
      { problem: 'datatype', value: 'yesterday', type: 'date' },
    ],
    [
      "cvc-type.3.1.3: The value 'yesterday' of element 'Data' is not valid.",
      { problem: 'element_value', value: 'yesterday', element: 'Data' },
    ],
    [
      "cvc-complex-type.4: Attribute 'versione' must appear on element 'p:FatturaElettronica'.",
      { problem: 'attribute_missing', attribute: 'versione', element: 'p:FatturaElettronica' },
    ],
    [
      "cvc-fractionDigits-valid: Value '1.12345678901' has 11 fraction digits, but the number of fraction digits has been limited to 8.",
      { problem: 'fraction_digits', value: '1.12345678901', max: '8' },
    ],
    [
      "cvc-elt.1.a: Cannot find the declaration of element 'Fattura'.",
      { problem: 'unknown_root', element: 'Fattura' },
    ],
    ["cvc-id.2: There are multiple occurrences of ID value 'x'.", { problem: 'other', rule: 'cvc-id.2' }],
  ];

  it('reads each message as its problem and values', () => {
    for (const [message, expected] of messages)
      expect(schemaProblem(message), message).to.deep.equal(expected);
  });

  it('writes each problem in every language, with no English of the validator left', () => {
    for (const [message] of messages) {
      const params = { engine: 'XSD FatturaPA 1.2.2', ...schemaProblem(message), text: message };
      for (const locale of locales) {
        const text = t(locale, 'einvoicerules.xsd_problem', params);
        expect(text, `${locale}: ${message}`).not.to.include('$t(');
        expect(text, `${locale}: ${message}`).not.to.match(
          /is not facet-valid|Invalid content|is expected|Cannot find/,
        );
      }
    }
    expect(
      t('it', 'einvoicerules.xsd_problem', { engine: 'XSD', ...schemaProblem(messages[1]![0]) }),
    ).to.equal(
      "Non valido rispetto allo schema (XSD): l'elemento DatiGenerali è incompleto; manca: DatiOrdineAcquisto, DatiContratto",
    );
  });
});
