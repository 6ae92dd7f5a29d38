import type { Db, Document } from 'mongodb';

/**
 * Whether the engine's indexes agree with its documents, seen from a client: every document a
 * scan returns must also be found through `{_id}` and through the exact keys of each of its
 * collection's unique indexes (the engine answers those filters from the index, anything else by
 * scanning: see engine-notes). A miss is confirmed by scanning for the same keys again (a filter
 * the index cannot answer) and asking the index once more, so that a document a running job
 * deleted or changed meanwhile is not taken for a broken index.
 */
export interface IndexMismatch {
  collection: string;
  index: string;
  id: string;
}

/** A filter the engine cannot answer from an index: the same keys plus a field no document has. */
const scanning = (filter: Document): Document => ({ ...filter, __agreementProbe: { $exists: false } });

export async function findIndexMismatches(
  db: Db,
): Promise<{ mismatches: IndexMismatch[]; documents: number }> {
  const mismatches: IndexMismatch[] = [];
  let documents = 0;
  const collections = (await db.listCollections({}, { nameOnly: true }).toArray())
    .map((c) => c.name)
    .filter((n) => !n.startsWith('system.'));
  for (const name of collections) {
    const coll = db.collection(name);
    const uniques = (await coll.listIndexes().toArray())
      .filter((i) => i.name !== '_id_' && i.unique === true)
      .map((i) => ({ name: String(i.name), keys: Object.keys(i.key as Document) }));
    for await (const doc of coll.find({})) {
      documents++;
      const probes: Array<{ index: string; filter: Document }> = [
        { index: '_id_', filter: { _id: doc._id } },
      ];
      for (const u of uniques) {
        // A document missing one of the keys is indexed under null, which a filter cannot name exactly.
        if (
          u.keys.every(
            (k) =>
              k.split('.').reduce<unknown>((v, part) => (v as Document | undefined)?.[part], doc) !==
              undefined,
          )
        ) {
          probes.push({
            index: u.name,
            filter: Object.fromEntries(
              u.keys.map((k) => [k, k.split('.').reduce<unknown>((v, part) => (v as Document)[part], doc)]),
            ),
          });
        }
      }
      for (const probe of probes) {
        const viaIndex = await coll.findOne(probe.filter, { projection: { _id: 1 } });
        if (viaIndex && String(viaIndex._id) === String(doc._id)) continue;
        // The same keys found by a scan: the document still holds them (not deleted or changed meanwhile).
        const stillThere = await coll.findOne(scanning(probe.filter), { projection: { _id: 1 } });
        if (!stillThere) continue;
        const again = await coll.findOne(probe.filter, { projection: { _id: 1 } });
        if (again && String(again._id) === String(doc._id)) continue;
        mismatches.push({ collection: name, index: probe.index, id: String(doc._id) });
      }
    }
  }
  return { mismatches, documents };
}
