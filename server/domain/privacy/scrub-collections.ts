import mongoose, { type Model, type Types } from 'mongoose';
import { AuditEvent } from '../../../models/audit-event.js';
import { Attachment } from '../../../models/attachment.js';
import { EInvoiceRecord } from '../../../models/einvoice.js';
import { PrivacyRequest } from '../../../models/privacy-request.js';
import { Ticket } from '../../../models/ticket.js';
import { collectionNameOf, crossTenant, unscopedCollection } from '../../db/scoped-collection.js';
import { scrubbedFields, type Pseudonyms } from './person-pattern.js';

/** The fields of a chained audit entry its hash does not cover: the only ones an erasure may change. */
const chainedEditable = ['actorEmail', 'targetLabel'];

/**
 * What must stay as it is, per model: the documents a legal obligation keeps (a restricted invoice's
 * keyed fields and its e-invoice record) and what the audit chain's hashes cover.
 */
function keptFields(
  model: Model<unknown>,
  doc: Record<string, unknown>,
  kept: ReadonlySet<string>,
): string[] | 'all' {
  if (model === (EInvoiceRecord as unknown) && kept.has(String(doc.ticketId))) return 'all';
  if (model === (Ticket as unknown) && kept.has(String(doc._id))) return ['fields'];
  if (model === (AuditEvent as unknown) && doc.chain)
    return Object.keys(doc).filter((key) => !chainedEditable.includes(key));
  return [];
}

/** Every tenant-owned model, found from the registry so a model added later is searched too. */
function tenantModels(): Model<unknown>[] {
  return mongoose
    .modelNames()
    .map((name) => mongoose.model(name) as Model<unknown>)
    .filter((model) => model.schema.path('tenantId') && model !== (PrivacyRequest as unknown));
}

const byIdReason =
  "a document just read in the client's scope, written back by its _id alone (a unique key the engine answers)";

/**
 * Replaces the person's identifiers in every document of the client, in every collection: free
 * text, names, addresses, keyed values, stored responses. Idempotent (a second pass finds nothing).
 * Each changed document is written by its `_id` alone: it was just read in the client's scope, and
 * the engine answers only an exact unique key from its index. Returns the documents changed per collection.
 */
export async function scrubCollections(
  tenantId: Types.ObjectId,
  pattern: RegExp,
  pseudonyms: Pseudonyms,
  kept: ReadonlySet<string>,
): Promise<Record<string, number>> {
  const changed: Record<string, number> = {};
  for (const model of tenantModels()) {
    const cursor = model.find({ tenantId }).lean().cursor();
    for await (const raw of cursor) {
      const doc = raw as Record<string, unknown>;
      const keep = keptFields(model, doc, kept);
      if (keep === 'all') continue;
      const set = scrubbedFields(doc, pattern, pseudonyms, keep);
      if (!set) continue;
      await crossTenant(model, byIdReason).updateOne({ _id: doc._id as Types.ObjectId }, { $set: set });
      const name = collectionNameOf(model);
      changed[name] = (changed[name] ?? 0) + 1;
    }
  }
  changed.files = await scrubFileNames(tenantId, pattern, pseudonyms);
  return changed;
}

/** GridFS keeps each file's name beside its bytes: the client's files are renamed as their rows were. */
async function scrubFileNames(
  tenantId: Types.ObjectId,
  pattern: RegExp,
  pseudonyms: Pseudonyms,
): Promise<number> {
  const files = unscopedCollection(
    'attachments.files',
    'stored file names of the client, found through its attachment rows',
  );
  if (!files) return 0;
  let count = 0;
  for await (const row of Attachment.find({ tenantId }, { fileId: 1, filename: 1 }).lean().cursor()) {
    const file = await files.findOne({ _id: row.fileId }, { projection: { filename: 1, metadata: 1 } });
    if (!file) continue;
    const set = scrubbedFields(file, pattern, pseudonyms);
    if (!set) continue;
    await files.updateOne({ _id: row.fileId }, { $set: set });
    count++;
  }
  return count;
}

/** Audit entries without a client (a failed sign-in with the person's address): the address pseudonymised. */
export async function scrubProviderAudit(emails: string[], pseudonyms: Pseudonyms): Promise<number> {
  if (emails.length === 0) return 0;
  const result = await AuditEvent.updateMany(
    { tenantId: null, actorEmail: { $in: emails } },
    { $set: { actorEmail: pseudonyms.email } },
  );
  return result.modifiedCount;
}
