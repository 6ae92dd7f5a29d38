import mongoose, { Schema } from 'mongoose';

export const authTokenPurposes = ['reset', 'invite'] as const;
export type AuthTokenPurpose = (typeof authTokenPurposes)[number];

/**
 * Single-use e-mail link tokens. Only a hash is stored; `usedAt` is set by one atomic
 * conditional update, so a link works once even when clicked twice at the same moment.
 */
const authTokenSchema = new Schema({
  tokenHash: { type: String, required: true, unique: true },
  userId: { type: 'ObjectId', ref: 'User', required: true },
  purpose: { type: String, required: true, enum: authTokenPurposes },
  expiresAt: { type: Date, required: true },
  usedAt: { type: Date, default: null },
  createdAt: { type: Date, required: true, default: () => new Date() },
});

export const AuthToken = mongoose.model('AuthToken', authTokenSchema);
