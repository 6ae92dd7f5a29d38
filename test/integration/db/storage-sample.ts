import {
  Binary,
  BSONRegExp,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
  UUID,
} from 'mongodb';

/**
 * Documents holding every BSON type the portal, mongoose, GridFS and agenda store, with fixed
 * values: written by the engine of before into the fixture data dir (test/fixtures/devdb-java-
 * serialized/, see engine-storage-format.test.ts) and compared with what the engine reads back.
 */
export function storageSample(): Array<Record<string, unknown>> {
  const docs: Array<Record<string, unknown>> = [];
  for (let i = 0; i < 120; i++) {
    docs.push({
      _id: new ObjectId(`65a0000000000000000${String(i).padStart(5, '0')}`),
      key: `k-${i}`,
      int: new Int32(i - 60),
      long: Long.fromString(`${9_007_199_254_740_993n + BigInt(i)}`),
      double: new Double(i + 0.25),
      wholeDouble: new Double(i),
      decimal: Decimal128.fromString(`${i}.10`),
      text: `Fattura n. ${i} — Søren Ærø · €${i},00 · 日本`,
      empty: '',
      yes: i % 2 === 0,
      nothing: null,
      at: new Date(Date.UTC(2026, 11, 4, 12, 0, i)),
      bytes: new Binary(Buffer.from([0, 1, 2, 255, i % 256])),
      uuid: new UUID(`0f8fad5b-d9cb-469f-a165-70867728${String(i).padStart(4, '0')}`),
      pattern: new BSONRegExp('^IT\\d{11}$', 'i'),
      stamp: new Timestamp({ t: 1_700_000_000 + i, i: 1 }),
      low: new MinKey(),
      high: new MaxKey(),
      nested: { a: { b: { c: [i, `x${i}`, { d: null }] } }, list: [] },
      mixed: [1, 'two', new Date(Date.UTC(2026, 0, 1)), [3, [4]], { five: 5 }],
      big: 'x'.repeat(i === 7 ? 20_000 : 10),
    });
  }
  return docs;
}
