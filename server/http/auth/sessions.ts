import type { Express, RequestHandler } from 'express';
import session from 'express-session';
import MongoStore from 'connect-mongo';
import type { MongoClient } from 'mongodb';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { profileForSession, signIn } from '../../domain/auth/sign-in.js';
import type { ProviderDefaults } from '../../domain/auth/profile.js';
import type { Config } from '../../config/config.js';
import { requestCtx } from '../middleware/context.js';
import type { SessionUser } from './session-user.js';

export const SESSION_COOKIE = 'desk.sid';
export const SESSION_TTL_SECONDS = 12 * 60 * 60;

interface SessionRef {
  id: string;
  v: number;
}

/**
 * Sessions live in the database (collection `sessions`). The embedded engine never applies
 * TTL indexes, so expiry is checked on every read by the store and expired rows are purged by
 * the maintenance job, never by an index.
 */
export function createSessionStore(client: MongoClient, dbName: string): MongoStore {
  // touchAfter: a page view refreshes the stored expiry at most once a minute instead of writing
  // the session on every request (on the embedded engine each write is a commit).
  return MongoStore.create({
    client,
    dbName,
    collectionName: 'sessions',
    ttl: SESSION_TTL_SECONDS,
    autoRemove: 'disabled',
    stringify: false,
    touchAfter: 60,
  });
}

export function sessionMiddleware(config: Config, store: MongoStore): RequestHandler {
  return session({
    name: SESSION_COOKIE,
    secret: config.sessionSecret,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    proxy: config.trustProxy !== undefined,
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      // Secure whenever the request came in over TLS (directly or via a trusted proxy).
      secure: 'auto',
      maxAge: SESSION_TTL_SECONDS * 1000,
    },
  });
}

export function configurePassport(app: Express, defaults: ProviderDefaults): void {
  passport.use(
    new LocalStrategy(
      { usernameField: 'email', passwordField: 'password', passReqToCallback: true },
      (req, email, password, done) => {
        signIn(requestCtx(req), { email, password }, defaults)
          .then(({ profile, sessionVersion }) => done(null, { ...profile, sessionVersion }))
          .catch((err: unknown) => done(err));
      },
    ),
  );
  passport.serializeUser<SessionRef>((user, done) =>
    done(null, { id: (user as SessionUser).userId, v: (user as SessionUser).sessionVersion }),
  );
  passport.deserializeUser<SessionRef>((ref, done) => {
    if (!ref || typeof ref.id !== 'string' || typeof ref.v !== 'number') return done(null, false);
    profileForSession(ref.id, ref.v, defaults)
      .then((profile) => done(null, profile ? { ...profile, sessionVersion: ref.v } : false))
      .catch((err: unknown) => done(err));
  });
  app.use(passport.initialize());
  app.use(passport.session());
}
