import { fieldClasses, fieldTypes, type LayoutField } from './record-layout.js';

/**
 * The fields of a layout as the layout editor shows them: one field per line,
 *
 *   key; label; type; required|optional; critical|major|minor; options
 *
 * where options are, by type: text, the maximum length (200 when empty); number, the decimals
 * and an optional range "2 0..1000"; code, the codes separated by commas; nothing otherwise.
 * The text is read into the shape record-layout.ts validates (which then names each wrong field
 * by its position); a line that cannot even be read is refused naming its line number.
 */

export interface LayoutTextError {
  line: number;
  key: string;
}

export function fieldsFromText(text: string): {
  fields: Record<string, unknown>[];
  errors: LayoutTextError[];
} {
  const fields: Record<string, unknown>[] = [];
  const errors: LayoutTextError[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const [key = '', label = '', type = '', req = 'optional', cls = 'major', ...rest] = line
      .split(';')
      .map((p) => p.trim());
    const options = rest.join(';').trim();
    if (!(fieldTypes as readonly string[]).includes(type))
      return void errors.push({ line: i + 1, key: 'keying.layout_text.type' });
    if (req !== 'required' && req !== 'optional')
      return void errors.push({ line: i + 1, key: 'keying.layout_text.required' });
    if (!(fieldClasses as readonly string[]).includes(cls))
      return void errors.push({ line: i + 1, key: 'keying.layout_text.class' });
    const field: Record<string, unknown> = { key, label, type, required: req === 'required', class: cls };
    if (type === 'text' && options) field.maxLength = Number(options);
    if (type === 'number' && options) {
      const m = /^(\d+)(?:\s+(-?\d+(?:\.\d+)?)?\.\.(-?\d+(?:\.\d+)?)?)?$/.exec(options);
      if (!m) return void errors.push({ line: i + 1, key: 'keying.layout_text.number' });
      field.decimals = Number(m[1]);
      if (m[2] !== undefined) field.min = Number(m[2]);
      if (m[3] !== undefined) field.max = Number(m[3]);
    }
    if (type === 'code')
      field.codes = options
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean);
    fields.push(field);
  });
  return { fields, errors };
}

export function fieldsToText(fields: readonly LayoutField[]): string {
  return fields
    .map((f) => {
      let options = '';
      if (f.type === 'text') options = String(f.maxLength);
      if (f.type === 'number') {
        options = String(f.decimals);
        if (f.min !== undefined || f.max !== undefined) options += ` ${f.min ?? ''}..${f.max ?? ''}`;
      }
      if (f.type === 'code') options = f.codes.join(', ');
      return [f.key, f.label, f.type, f.required ? 'required' : 'optional', f.class, options].join('; ');
    })
    .join('\n');
}
