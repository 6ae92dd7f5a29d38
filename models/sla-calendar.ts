import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { tenantRef, tenantScopePlugin } from './plugins/tenant-scope.js';

/** 'HH:mm' local wall-clock time; '24:00' is allowed as the end of a day. */
const CLOCK = /^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/;

/**
 * A tenant's business-hours calendar, the clock SLA targets run on (one per tenant; the SLA
 * engine turns it into a `BusinessCalendar`, server/domain/sla/business-time.ts). Weekly hours
 * are local times in `timeZone`; holidays are whole local days; closures are absolute instants.
 * Edited in place: policies point at it, and every policy version uses the calendar as it is now.
 */
const slaCalendarSchema = new Schema(
  {
    /** One calendar per tenant: concurrent first saves meet at this unique index. */
    tenantId: { ...tenantRef(), unique: true },
    name: { type: String, required: true, trim: true, maxlength: 100 },
    timeZone: { type: String, required: true },
    /** Open around the clock (weekly hours are then ignored; holidays and closures still close). */
    alwaysOpen: { type: Boolean, required: true, default: false },
    weekly: {
      type: [
        {
          day: { type: Number, required: true, min: 1, max: 7 },
          from: { type: String, required: true, match: CLOCK },
          to: { type: String, required: true, match: CLOCK },
        },
      ],
      default: [],
      _id: false,
    },
    holidays: {
      type: [
        {
          date: { type: String, required: true, match: /^\d{4}-\d{2}-\d{2}$/ },
          name: { type: String, default: '', maxlength: 100 },
        },
      ],
      default: [],
      _id: false,
    },
    closures: {
      type: [
        {
          from: { type: Date, required: true },
          to: { type: Date, required: true },
          reason: { type: String, default: '', maxlength: 200 },
        },
      ],
      default: [],
      _id: false,
    },
    updatedBy: {
      type: { id: { type: 'ObjectId', ref: 'User', default: null }, name: String },
      default: null,
      _id: false,
    },
  },
  { timestamps: true },
);
slaCalendarSchema.plugin(tenantScopePlugin);

export type SlaCalendarAttrs = InferSchemaType<typeof slaCalendarSchema>;
export const SlaCalendar = mongoose.model('SlaCalendar', slaCalendarSchema);
