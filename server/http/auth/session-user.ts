import type { Profile } from '../../domain/auth/profile.js';

/** What passport keeps on a signed-in request: the profile plus the session version it was issued under. */
export type SessionUser = Profile & { sessionVersion: number };
