import mongoose, { Schema } from 'mongoose';

/** Failed sign-in counters per (e-mail, ip); expired rows are purged by the maintenance job. */
const loginThrottleSchema = new Schema({
  key: { type: String, required: true, unique: true },
  failures: { type: Number, required: true, default: 0 },
  windowStart: { type: Date, required: true },
  expiresAt: { type: Date, required: true },
});

export const LoginThrottle = mongoose.model('LoginThrottle', loginThrottleSchema);
