import mongoose, { Schema, type InferSchemaType } from 'mongoose';

/** The BPO running this portal: one document, keyed by a fixed code. */
const providerSchema = new Schema(
  {
    key: { type: String, required: true, unique: true, default: 'provider' },
    name: { type: String, required: true, trim: true },
    timeZone: { type: String, required: true },
    locale: { type: String, required: true, enum: ['en', 'it', 'da'] },
  },
  { timestamps: true },
);

export type ProviderAttrs = InferSchemaType<typeof providerSchema>;
export const Provider = mongoose.model('Provider', providerSchema);
