import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { tenantRef, tenantScopePlugin } from './plugins/tenant-scope.js';

export const importBatchStatuses = ['draft', 'committing', 'committed', 'failed'] as const;
export type ImportBatchStatus = (typeof importBatchStatuses)[number];

const rowErrorSchema = new Schema(
  {
    /** Spreadsheet row number: the header is row 1, the first data row is row 2. */
    row: { type: Number, required: true },
    /** Canonical column name (subject, expectedRecordCount...), or '' for the whole row. */
    column: { type: String, default: '' },
    /** Translation key of the message, and its parameters. */
    key: { type: String, required: true },
    params: { type: Schema.Types.Mixed, default: {} },
  },
  { _id: false, minimize: false },
);

const rowSchema = new Schema(
  {
    row: { type: Number, required: true },
    /** The cells as read from the file, by canonical column name (shown on the preview). */
    values: { type: Schema.Types.Mixed, default: {} },
    /** The validated ticket input; null when the row has errors. */
    input: { type: Schema.Types.Mixed, default: null },
    valid: { type: Boolean, required: true },
    /** Set once the row's ticket exists. */
    ticketNumber: { type: String, default: null },
  },
  { _id: false, minimize: false },
);

/**
 * An uploaded CSV of data-entry tickets between preview and commit. The preview is kept for
 * about an hour (`expiresAt`, checked on read, purged by the maintenance job: the embedded
 * engine has no TTL indexes). Commit is decided by one atomic conditional update
 * draft -> committing, so a double click or a second tab never creates tickets twice.
 */
const importBatchSchema = new Schema(
  {
    tenantId: tenantRef(),
    createdBy: {
      type: new Schema({ id: { type: 'ObjectId', required: true }, name: String }, { _id: false }),
      required: true,
    },
    filename: { type: String, default: '' },
    delimiter: { type: String, default: ',' },
    /** Canonical columns found in the header, and header names that matched none (ignored). */
    columns: { type: [String], default: [] },
    ignoredColumns: { type: [String], default: [] },
    status: { type: String, required: true, enum: importBatchStatuses, default: 'draft' },
    rows: { type: [rowSchema], default: [] },
    rowErrors: { type: [rowErrorSchema], default: [] },
    validCount: { type: Number, required: true, default: 0 },
    invalidCount: { type: Number, required: true, default: 0 },
    createdNumbers: { type: [String], default: [] },
    committingAt: { type: Date, default: null },
    committedAt: { type: Date, default: null },
    expiresAt: { type: Date, required: true },
  },
  { timestamps: true, minimize: false },
);
importBatchSchema.plugin(tenantScopePlugin);

export type ImportBatchAttrs = InferSchemaType<typeof importBatchSchema>;
export const ImportBatch = mongoose.model('ImportBatch', importBatchSchema);
