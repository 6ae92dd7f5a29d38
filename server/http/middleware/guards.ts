import type { RequestHandler } from 'express';
import { can, type Permission } from '../../domain/auth/policy.js';
import { AppError } from '../../errors/app-error.js';
import { wantsJson } from './errors.js';

/** Pages need a session: browsers are sent to sign in, API-style callers get 401. */
export const requireSignIn: RequestHandler = (req, res, next) => {
  if (req.user) return next();
  if (wantsJson(req) || req.method !== 'GET') return next(new AppError('unauthenticated', 'sign in first'));
  res.redirect(`/login?next=${encodeURIComponent(req.originalUrl)}`);
};

/** The route-level check of the one permission table (the domain checks with policy.requirePermission). */
export const routePermission =
  (permission: Permission): RequestHandler =>
  (req, res, next) => {
    if (!req.user) return requireSignIn(req, res, next);
    if (!can(req.ctx.actor, permission)) return next(new AppError('forbidden', `missing ${permission}`));
    next();
  };
