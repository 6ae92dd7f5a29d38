import mongoose, { Schema } from 'mongoose';

/** Named sequences (one per tenant for ticket numbers), advanced with an atomic $inc. */
const counterSchema = new Schema({
  _id: { type: String, required: true },
  seq: { type: Number, required: true, default: 0 },
});

export const Counter = mongoose.model('Counter', counterSchema);
