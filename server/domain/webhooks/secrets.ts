import { randomBytes } from 'node:crypto';

/** A new signing secret: `whsec_` and 32 random bytes in base64 (the spec asks for 24 to 64). */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

/** How long the previous secret keeps signing after a rotation, unless the caller says. */
export const ROTATION_OVERLAP_MS = 24 * 3_600_000;
