import mongoose, { Schema, type InferSchemaType, type Types } from 'mongoose';
import { tenantRef, tenantScopePlugin } from './plugins/tenant-scope.js';

/**
 * Quality control of keyed data (issue #18): record layouts per client, the records of a
 * data-entry ticket, its keying batch, the inspection lots drawn from it and the switching state
 * per (client, layout). The rules live in server/domain/quality/; these are the stored shapes.
 */

const person = new Schema({ id: { type: 'ObjectId', ref: 'User' }, name: String }, { _id: false });

/** A client's record layout; `fields`, `aql` and the level are validated by record-layout.ts. */
const recordLayoutSchema = new Schema({
  tenantId: tenantRef(),
  name: { type: String, required: true, trim: true, maxlength: 120 },
  fields: { type: [Schema.Types.Mixed], required: true },
  inspectionLevel: { type: String, required: true, default: 'II' },
  aql: {
    type: { critical: Number, major: Number, minor: Number },
    required: true,
    _id: false,
  },
  accuracyTarget: { type: Number, default: null },
  doubleKeyCritical: { type: Boolean, default: false },
  version: { type: Number, required: true, default: 1 },
  updatedAt: { type: Date, required: true, default: () => new Date() },
  updatedBy: { type: person, default: null },
});
recordLayoutSchema.index({ tenantId: 1, name: 1 }, { unique: true });
recordLayoutSchema.plugin(tenantScopePlugin);
export const RecordLayoutModel = mongoose.model('RecordLayout', recordLayoutSchema);
export type RecordLayoutDoc = InferSchemaType<typeof recordLayoutSchema> & { _id: Types.ObjectId };

export const batchStates = ['keying', 'inspecting', 'rework', 'accepted', 'on_hold'] as const;
export type BatchState = (typeof batchStates)[number];

/**
 * The batch of records of one data-entry ticket: its layout, state and inspection round. `state`
 * moves only by conditional updates (keying|rework -> inspecting -> accepted|rework), which is
 * what makes finishing a batch and closing a lot happen once.
 */
const keyingBatchSchema = new Schema({
  tenantId: tenantRef(),
  ticketId: { type: Schema.Types.ObjectId, ref: 'Ticket', required: true },
  ticketNumber: { type: String, required: true },
  layoutId: { type: Schema.Types.ObjectId, ref: 'RecordLayout', required: true },
  state: { type: String, required: true, enum: batchStates, default: 'keying' },
  /** The inspection round: 1, then one more after each rejected lot. */
  round: { type: Number, required: true, default: 1 },
  /** The next record number to hand out (records are numbered 1, 2, ...). */
  nextSeq: { type: Number, required: true, default: 1 },
  createdAt: { type: Date, required: true, default: () => new Date() },
});
keyingBatchSchema.index({ tenantId: 1, ticketId: 1 }, { unique: true });
keyingBatchSchema.plugin(tenantScopePlugin);
export const KeyingBatch = mongoose.model('KeyingBatch', keyingBatchSchema);
export type KeyingBatchDoc = InferSchemaType<typeof keyingBatchSchema> & { _id: Types.ObjectId };

const secondKeyingSchema = new Schema(
  { values: { type: Schema.Types.Mixed, required: true }, by: { type: person, required: true }, at: Date },
  { _id: false },
);

/** One keyed record of a batch: its values normalised by validate-record.ts, and who keyed it. */
const keyedRecordSchema = new Schema({
  tenantId: tenantRef(),
  ticketId: { type: Schema.Types.ObjectId, ref: 'Ticket', required: true },
  seq: { type: Number, required: true, min: 1 },
  values: { type: Schema.Types.Mixed, required: true, default: {} },
  keyedBy: { type: person, required: true },
  keyedAt: { type: Date, required: true, default: () => new Date() },
  /** The round in which the record was last keyed (above 1: reworked after a rejected lot). */
  round: { type: Number, required: true, default: 1 },
  /**
   * Double keying (layout `doubleKeyCritical`, quality/double-keying.ts): the second, independent
   * keying of the critical fields, by someone other than `keyedBy`; null until it is keyed.
   */
  second: { type: secondKeyingSchema, default: null },
  /**
   * The critical fields whose two keyings differ: `{ key, first, second, settled }`, `settled`
   * being `{ value, how: first|second|typed, by, at }` once a third person chose the value.
   */
  differences: { type: [Schema.Types.Mixed], default: [] },
  /** How many differences are not settled yet: the record is complete at 0 with `second` keyed. */
  unsettled: { type: Number, required: true, default: 0 },
  /** Bumped by every write of the values: double keying and settling are conditional on it. */
  rev: { type: Number, required: true, default: 0 },
});
keyedRecordSchema.index({ tenantId: 1, ticketId: 1, seq: 1 }, { unique: true });
keyedRecordSchema.plugin(tenantScopePlugin);
export const KeyedRecord = mongoose.model('KeyedRecord', keyedRecordSchema);
export type KeyedRecordDoc = InferSchemaType<typeof keyedRecordSchema> & { _id: Types.ObjectId };

export const lotVerdicts = ['accepted', 'rejected'] as const;

/**
 * One inspection lot: a round of a batch, its plans, the seeded draw (seed, algorithm, indices
 * and the record numbers they name) and the checkers' findings per sampled record.
 */
const inspectionLotSchema = new Schema({
  tenantId: tenantRef(),
  ticketId: { type: Schema.Types.ObjectId, ref: 'Ticket', required: true },
  layoutId: { type: Schema.Types.ObjectId, ref: 'RecordLayout', required: true },
  round: { type: Number, required: true, min: 1 },
  resubmitted: { type: Boolean, required: true, default: false },
  lotSize: { type: Number, required: true },
  severity: { type: String, required: true },
  plans: { type: Schema.Types.Mixed, required: true },
  seed: { type: String, required: true },
  algorithm: { type: String, required: true },
  indices: { type: [Number], required: true },
  /** The record numbers of the sample, in the order of `indices`. */
  seqs: { type: [Number], required: true },
  /** Checker findings by record number: the keys of the fields found keyed wrong. */
  findings: { type: Schema.Types.Mixed, default: {} },
  checker: { type: person, default: null },
  errorsByField: { type: Schema.Types.Mixed, default: null },
  errorsByClass: { type: Schema.Types.Mixed, default: null },
  /** Fields checked and found wrong per (field, keyer), written with the verdict (lot-field-checks.ts). */
  fieldChecks: { type: Schema.Types.Mixed, default: null },
  verdict: { type: String, enum: [...lotVerdicts, null], default: null },
  drawnAt: { type: Date, required: true, default: () => new Date() },
  closedAt: { type: Date, default: null },
});
inspectionLotSchema.index({ tenantId: 1, ticketId: 1, round: 1 }, { unique: true });
inspectionLotSchema.plugin(tenantScopePlugin);
export const InspectionLot = mongoose.model('InspectionLot', inspectionLotSchema);
export type InspectionLotDoc = InferSchemaType<typeof inspectionLotSchema> & { _id: Types.ObjectId };

/** The switching state (switching.ts) of one (client, layout), with the lots already applied. */
const switchingStateSchema = new Schema({
  tenantId: tenantRef(),
  layoutId: { type: Schema.Types.ObjectId, ref: 'RecordLayout', required: true },
  state: { type: Schema.Types.Mixed, required: true },
  /** The last lots applied, so that applying a lot again (after a crash) changes nothing. */
  appliedLots: { type: [Schema.Types.ObjectId], default: [] },
  /**
   * Clause 9.3.3 b) and c), the team lead's choice (allow-reduced-inspection.ts): production is
   * steady and reduced inspection is desirable, so a switching score of 30 moves normal to reduced.
   */
  reducedAllowed: { type: Boolean, default: false },
  /** Who last chose `reducedAllowed`, when (the instant keys its audit entry). */
  reducedChoice: { type: { allow: Boolean, by: person, at: Date }, default: null, _id: false },
  /** The last resumption after discontinuation (resume-inspection.ts): who, when, the corrective action. */
  resumed: {
    type: { by: person, at: Date, correctiveAction: String },
    default: null,
    _id: false,
  },
  version: { type: Number, required: true, default: 0 },
  updatedAt: { type: Date, required: true, default: () => new Date() },
});
switchingStateSchema.index({ tenantId: 1, layoutId: 1 }, { unique: true });
switchingStateSchema.plugin(tenantScopePlugin);
export const SwitchingStateModel = mongoose.model('SwitchingState', switchingStateSchema);
