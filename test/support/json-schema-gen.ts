/**
 * Values from JSON Schema, for the subset the API's OpenAPI document uses ($ref, oneOf, anyOf,
 * const, enum, object, array, string with lengths, formats and patterns, integer and number
 * with bounds). `valid` gives one value per variant worth trying (every oneOf branch and enum
 * value, required-only and full objects, strings at both length bounds); `invalid` gives values
 * that break one rule each (wrong type, missing required, too long, too small, not in the enum).
 */

export type Schema = Record<string, unknown>;

export interface GenOptions {
  /** Resolves `#/components/schemas/X`. */
  root: Schema;
  /**
   * Values known to be valid for a property name that a pattern or a check digit guards (VAT
   * numbers): the first that matches the schema's pattern is used.
   */
  known?: Record<string, unknown[]>;
}

const deref = (schema: Schema, opts: GenOptions): Schema => {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  const path = ref.replace(/^#\//, '').split('/');
  let node: unknown = opts.root;
  for (const part of path) node = (node as Record<string, unknown>)[part];
  if (!node) throw new Error(`unresolved ${ref}`);
  return deref(node as Schema, opts);
};

const letters = (n: number): string => {
  const alphabet = 'Abcdefghijklmnopqrstuvwxyz';
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[i % alphabet.length];
  return s;
};

function stringCandidates(schema: Schema, name: string, opts: GenOptions): string[] {
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : undefined;
  const examples = Array.isArray(schema.examples)
    ? schema.examples.filter((e): e is string => typeof e === 'string')
    : [];
  const known = (opts.known?.[name] ?? []).filter((v): v is string => typeof v === 'string');
  if (schema.format === 'date') return ['2026-03-02'];
  // An instant a check ties to another (a range's end after its start) comes from `known`.
  if (schema.format === 'date-time') return [known[0] ?? '2026-03-02T09:15:00.000Z'];
  if (schema.format === 'email') return ['someone@example.test'];
  const out: string[] = [...known, ...examples];
  const typical = letters(Math.max(min, Math.min(max ?? 12, 12)));
  out.push(typical);
  if (max !== undefined && max > typical.length) out.push(letters(max));
  if (min > 0 && min < typical.length) out.push(letters(min));
  // Spaces around a value that is long enough without them.
  if (max === undefined || max >= min + 2) out.push(` ${letters(Math.max(min, 3))} `);
  // No stated maximum: the server must then take a long one too.
  if (max === undefined) out.push(letters(500));
  if (typeof schema.pattern !== 'string') return known.length ? [known[0] as string] : out;
  const re = new RegExp(schema.pattern, 'u');
  const fit = [...out, '65f1c0ffee0000000000a001', '0'.repeat(Math.max(min, 8))].filter(
    (v) => re.test(v) && v.length >= min && (max === undefined || v.length <= max),
  );
  if (!fit.length)
    throw new Error(`no known value for "${name}" matches ${schema.pattern}: add one to known`);
  return known.length || examples.length ? [fit[0] as string] : [...new Set(fit)];
}

function numberCandidates(schema: Schema, integer: boolean): number[] {
  const min =
    typeof schema.minimum === 'number'
      ? schema.minimum
      : typeof schema.exclusiveMinimum === 'number'
        ? schema.exclusiveMinimum + 1
        : 0;
  const max =
    typeof schema.maximum === 'number'
      ? schema.maximum
      : typeof schema.exclusiveMaximum === 'number'
        ? schema.exclusiveMaximum - 1
        : min + 1000;
  const step = typeof schema.multipleOf === 'number' ? schema.multipleOf : integer ? 1 : 0.01;
  const mid = Math.min(max, min + 412.5);
  const snap = (v: number) => Math.round(Math.round(v / step) * step * 100) / 100;
  return [
    ...new Set(
      [snap(integer ? Math.floor(mid) : mid), min, max].map((v) => (integer ? Math.round(v) : snap(v))),
    ),
  ];
}

/** Valid values: the first is a typical one, the others cover branches and bounds. */
export function valid(input: Schema, opts: GenOptions, name = ''): unknown[] {
  const schema = deref(input, opts);
  if ('const' in schema) return [schema.const];
  if (Array.isArray(schema.enum)) {
    const known = (opts.known?.[name] ?? []).filter((v) => (schema.enum as unknown[]).includes(v));
    return [...known, ...(schema.enum as unknown[]).filter((v) => !known.includes(v))];
  }
  for (const key of ['oneOf', 'anyOf'] as const) {
    if (Array.isArray(schema[key]))
      return (schema[key] as Schema[]).flatMap((branch) => valid(branch, opts, name));
  }
  switch (schema.type) {
    case 'object': {
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      const required = new Set((schema.required ?? []) as string[]);
      const typical = (keys: string[]) =>
        Object.fromEntries(keys.map((k) => [k, valid(props[k] as Schema, opts, k)[0]]));
      const minimal = typical(Object.keys(props).filter((k) => required.has(k)));
      const full = typical(Object.keys(props));
      // Then each property's other valid values, one at a time, on the full object.
      const variants = Object.keys(props).flatMap((k) =>
        valid(props[k] as Schema, opts, k)
          .slice(1)
          .map((v) => ({ ...full, [k]: v })),
      );
      return [minimal, full, ...variants];
    }
    case 'array': {
      const items = (schema.items ?? {}) as Schema;
      const min = typeof schema.minItems === 'number' ? schema.minItems : 0;
      const max = typeof schema.maxItems === 'number' ? schema.maxItems : Math.max(min, 3);
      const one = valid(items, opts, name);
      const fill = (n: number) => Array.from({ length: n }, (_, i) => one[i % one.length]);
      return [fill(Math.max(min, 1)), fill(max), ...(min === 0 ? [[]] : [])];
    }
    case 'string':
      return stringCandidates(schema, name, opts);
    case 'integer':
      return numberCandidates(schema, true);
    case 'number':
      return numberCandidates(schema, false);
    case 'boolean':
      return [true, false];
    default:
      return [null];
  }
}

/** Values that break one rule of the schema each (for an object: of one of its properties). */
export function invalid(input: Schema, opts: GenOptions, name = ''): unknown[] {
  const schema = deref(input, opts);
  const out: unknown[] = [];
  if ('const' in schema || Array.isArray(schema.enum)) out.push('not-one-of-these', 42);
  if (Array.isArray(schema.oneOf) || Array.isArray(schema.anyOf)) {
    const branches = (schema.oneOf ?? schema.anyOf) as Schema[];
    const first = deref(branches[0] as Schema, opts);
    if (first.type === 'object') {
      // Break each branch's properties in turn (the branch's discriminator kept).
      for (const branch of branches) out.push(...invalid(branch, opts, name));
    } else out.push({ not: 'this' }, 12.5);
    return out;
  }
  switch (schema.type) {
    case 'object': {
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      const base = valid(schema, opts, name)[1] as Record<string, unknown>;
      out.push(null, 'a string', [base]);
      for (const k of (schema.required ?? []) as string[]) {
        const { [k]: _drop, ...rest } = base;
        out.push(rest);
      }
      for (const [k, prop] of Object.entries(props))
        for (const bad of invalid(prop, opts, k)) out.push({ ...base, [k]: bad });
      return out;
    }
    case 'array': {
      out.push('not an array', { a: 1 });
      if (typeof schema.maxItems === 'number')
        out.push(
          Array.from(
            { length: schema.maxItems + 1 },
            () => valid((schema.items ?? {}) as Schema, opts, name)[0],
          ),
        );
      return out;
    }
    case 'string':
      out.push(12345, true, ['x'], { x: 1 });
      if (typeof schema.maxLength === 'number') out.push(letters(schema.maxLength + 1));
      if (typeof schema.minLength === 'number' && schema.minLength > 0)
        out.push(letters(schema.minLength - 1), ' '.repeat(Math.max(schema.minLength, 3)));
      if (schema.format === 'date') out.push('2026-02-30', '02/03/2026');
      return out;
    case 'integer':
    case 'number':
      out.push('not a number', { n: 1 }, [1]);
      if (typeof schema.minimum === 'number') out.push(schema.minimum - 1);
      if (typeof schema.maximum === 'number') out.push(schema.maximum + 1);
      if (schema.type === 'integer') out.push(1.5);
      return out;
    default:
      return out;
  }
}
