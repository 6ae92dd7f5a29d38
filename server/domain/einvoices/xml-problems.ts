/**
 * What the XML parser (xmldom) and the schema validator (the JDK's Xerces) say is wrong, as a
 * problem code with its values, so people read it in their language (catalogue keys
 * `einvoices.xml.problems.<code>` and `einvoicerules.xsd_problems.<code>`) rather than the
 * libraries' English. A text not recognised is `other`: the place is still given, and for the
 * schema the validator's own rule id (`cvc-…`, the same in every language).
 */
export interface XmlProblem {
  problem: string;
  [param: string]: string;
}

type Reading = [RegExp, (m: RegExpExecArray) => XmlProblem];

const parserReadings: Reading[] = [
  [/tag mismatch: "([^"]*)" != "([^"]*)"/i, (m) => ({ problem: 'tag_mismatch', open: m[1]!, close: m[2]! })],
  [/attribute value no end/i, () => ({ problem: 'attribute_unclosed' })],
  [/entity not found:\s*&([^;\s]+);?/i, (m) => ({ problem: 'entity_unknown', entity: m[1]! })],
  [/missing root element|no root element/i, () => ({ problem: 'no_root' })],
  [/Attribute (\S+) redefined/i, (m) => ({ problem: 'attribute_twice', attribute: m[1]! })],
  [/Only one element can be added/i, () => ({ problem: 'several_roots' })],
  [/unexpected end of input|unclosed/i, () => ({ problem: 'truncated' })],
  [/invalid tagName:\s*(\S+)/i, (m) => ({ problem: 'bad_name', name: m[1]! })],
];

/** The parser's first error as a problem code (the library's text kept aside, for logs and support). */
export function parserProblem(detail: string): XmlProblem {
  for (const [re, read] of parserReadings) {
    const m = re.exec(detail);
    if (m) return read(m);
  }
  return { problem: 'other' };
}

/** `'{"urn:…":Name}'` or `'Name'` as `Name`; a list `'{"urn:…":A, "urn:…":B}'` as `A, B`. */
function names(raw: string): string {
  const listed = [...raw.matchAll(/"[^"]*":([\w.-]+)/g)].map((m) => m[1]);
  if (listed.length) return listed.join(', ');
  return raw.replace(/^\{|\}$/g, '').trim();
}

const q = "'([^']*)'";
const xsdReadings: Reading[] = [
  [
    new RegExp(`^cvc-complex-type\\.2\\.4\\.a: .*?element ${q}\\. One of ${q} is expected`),
    (m) => ({ problem: 'unexpected_element', element: names(m[1]!), expected: names(m[2]!) }),
  ],
  [
    new RegExp(`^cvc-complex-type\\.2\\.4\\.b: .*?element ${q} is not complete\\. One of ${q} is expected`),
    (m) => ({ problem: 'incomplete', element: names(m[1]!), expected: names(m[2]!) }),
  ],
  [
    new RegExp(`^cvc-complex-type\\.2\\.4\\.d: .*?element ${q}\\. No child element is expected`),
    (m) => ({ problem: 'no_child_expected', element: names(m[1]!) }),
  ],
  [
    new RegExp(`^cvc-pattern-valid: Value ${q} .*?for type ${q}`),
    (m) => ({ problem: 'pattern', value: m[1]!, type: m[2]! }),
  ],
  [
    new RegExp(`^cvc-enumeration-valid: Value ${q} .*?enumeration '\\[([^\\]]*)\\]'`),
    (m) => ({ problem: 'enumeration', value: m[1]!, allowed: m[2]! }),
  ],
  [
    new RegExp(`^cvc-minLength-valid: Value ${q} .*?minLength ${q}`),
    (m) => ({ problem: 'min_length', value: m[1]!, min: m[2]! }),
  ],
  [
    new RegExp(`^cvc-maxLength-valid: Value ${q} .*?maxLength ${q}`),
    (m) => ({ problem: 'max_length', value: m[1]!, max: m[2]! }),
  ],
  [
    new RegExp(`^cvc-length-valid: Value ${q} .*?length ${q}`),
    (m) => ({ problem: 'length', value: m[1]!, length: m[2]! }),
  ],
  [
    new RegExp(`^cvc-(minInclusive|minExclusive|maxInclusive|maxExclusive)-valid: Value ${q} .*?\\1 ${q}`),
    (m) => ({ problem: m[1]!.startsWith('min') ? 'too_small' : 'too_large', value: m[2]!, limit: m[3]! }),
  ],
  [
    /^cvc-totalDigits-valid: Value '([^']*)' .*?limited to (\d+)/,
    (m) => ({ problem: 'total_digits', value: m[1]!, max: m[2]! }),
  ],
  [
    /^cvc-fractionDigits-valid: Value '([^']*)' .*?limited to (\d+)/,
    (m) => ({ problem: 'fraction_digits', value: m[1]!, max: m[2]! }),
  ],
  [
    new RegExp(`^cvc-datatype-valid\\.1\\.2\\.\\d: ${q} is not a valid value for ${q}`),
    (m) => ({ problem: 'datatype', value: m[1]!, type: m[2]! }),
  ],
  [
    new RegExp(`^cvc-type\\.3\\.1\\.3: The value ${q} of element ${q}`),
    (m) => ({ problem: 'element_value', value: m[1]!, element: names(m[2]!) }),
  ],
  [
    new RegExp(`^cvc-attribute\\.3: The value ${q} of attribute ${q} on element ${q}`),
    (m) => ({ problem: 'attribute_value', value: m[1]!, attribute: m[2]!, element: names(m[3]!) }),
  ],
  [
    new RegExp(`^cvc-complex-type\\.3\\.2\\.2: Attribute ${q} is not allowed to appear in element ${q}`),
    (m) => ({ problem: 'attribute_not_allowed', attribute: m[1]!, element: names(m[2]!) }),
  ],
  [
    new RegExp(`^cvc-complex-type\\.4: Attribute ${q} must appear on element ${q}`),
    (m) => ({ problem: 'attribute_missing', attribute: m[1]!, element: names(m[2]!) }),
  ],
  [
    new RegExp(`^cvc-elt\\.1(\\.a)?: Cannot find the declaration of element ${q}`),
    (m) => ({ problem: 'unknown_root', element: names(m[2]!) }),
  ],
  [
    new RegExp(`^cvc-complex-type\\.2\\.3: Element ${q} cannot have character`),
    (m) => ({ problem: 'no_text', element: names(m[1]!) }),
  ],
  [
    new RegExp(`^cvc-(?:complex-type\\.2\\.2|type\\.3\\.1\\.2): Element ${q} .*?no element information item`),
    (m) => ({ problem: 'no_children', element: names(m[1]!) }),
  ],
];

/** One message of the schema validator as a problem code; an unknown one keeps its rule id. */
export function schemaProblem(text: string): XmlProblem {
  const trimmed = text.trim();
  for (const [re, read] of xsdReadings) {
    const m = re.exec(trimmed);
    if (m) return read(m);
  }
  return { problem: 'other', rule: /^(cvc-[\w.-]+|[\w-]+):/.exec(trimmed)?.[1] ?? '' };
}
