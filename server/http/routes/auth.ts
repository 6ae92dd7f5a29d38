import { Router, type Request, type Response, type NextFunction } from 'express';
import passport from 'passport';
import { z } from 'zod';
import { signInInputSchema } from '../../domain/auth/sign-in.js';
import { signOut } from '../../domain/auth/sign-out.js';
import {
  checkLink,
  completeLink,
  forgotPasswordSchema,
  requestPasswordReset,
  setPasswordSchema,
} from '../../domain/auth/password-reset.js';
import { AppError } from '../../errors/app-error.js';
import { presentError } from '../../errors/present.js';
import { t } from '../../i18n/i18n.js';
import type { Config } from '../../config/config.js';
import { failureLimiter } from '../failure-limiter.js';
import { handleForm, parseInput } from '../forms.js';
import type { SessionUser } from '../auth/session-user.js';

/** The sign-in form: the domain's input, and where to go next (the adapter's own concern). */
const signInSchema = signInInputSchema.extend({ next: z.string().optional() });

/** Only same-site paths may be used as a post-sign-in destination. */
function safeNext(next: unknown): string {
  return typeof next === 'string' && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\')
    ? next
    : '/';
}

function authenticate(req: Request, res: Response, next: NextFunction): Promise<SessionUser> {
  return new Promise((resolve, reject) => {
    passport.authenticate('local', (err: unknown, user: SessionUser | false) => {
      if (err) return reject(err);
      if (!user)
        return reject(
          new AppError('unauthenticated', 'missing credentials', { messageKey: 'auth.invalid_credentials' }),
        );
      resolve(user);
    })(req, res, next);
  });
}

const logIn = (req: Request, user: SessionUser): Promise<void> =>
  // passport >= 0.6 regenerates the session here: a new session id after sign-in (no fixation).
  new Promise((resolve, reject) => req.login(user, (err) => (err ? reject(err) : resolve())));

// Long function: a route table: sign-in, sign-out and the link pages.
export function authRoutes(config: Config): Router {
  const router = Router();
  // Per-address ceiling on failed sign-ins across accounts (successes are not counted: a whole
  // office behind one address signs in); per-account throttling lives in the domain.
  const addressFailures = failureLimiter({ windowMs: 15 * 60_000, limit: config.signInAddressFailures });
  const addressOf = (req: Request) => req.ip ?? '-';

  router.get('/login', (req, res) => {
    if (req.user) return res.redirect('/');
    res.render('auth/login', {
      title: t(req.locale, 'auth.sign_in'),
      values: { next: safeNext(req.query.next) },
      bare: true,
    });
  });

  router.post('/login', async (req, res, next) => {
    const input = signInSchema.safeParse(req.body);
    const values = {
      email: input.success ? input.data.email : '',
      next: safeNext(input.success ? input.data.next : '/'),
    };
    const wait = addressFailures.retryAfterSeconds(addressOf(req));
    try {
      if (wait !== null)
        throw new AppError('rate_limited', 'too many failed sign-ins from this address', {
          messageKey: 'auth.throttled',
          retryAfterSeconds: wait,
        });
      if (!input.success)
        throw new AppError('unauthenticated', 'bad input', { messageKey: 'auth.invalid_credentials' });
      const user = await authenticate(req, res, next);
      await logIn(req, user);
      res.redirect(values.next);
    } catch (err) {
      const shown = presentError(err, req.locale, 'page');
      const { appError } = shown;
      if (appError.code !== 'unauthenticated' && appError.code !== 'rate_limited') throw appError;
      if (wait === null) addressFailures.recordFailure(addressOf(req));
      res.set(shown.headers);
      res.status(shown.status).render('auth/login', {
        title: t(req.locale, 'auth.sign_in'),
        values,
        formError: t(req.locale, appError.messageKey, {
          minutes: Math.ceil((appError.retryAfterSeconds ?? 60) / 60),
          count: Math.ceil((appError.retryAfterSeconds ?? 60) / 60),
        }),
        bare: true,
      });
    }
  });

  router.post('/logout', async (req, res) => {
    await signOut(req.ctx, async () => {
      await new Promise<void>((resolve, reject) => req.logout((err) => (err ? reject(err) : resolve())));
      await new Promise<void>((resolve) => req.session.destroy(() => resolve()));
    });
    res.clearCookie('desk.sid');
    res.redirect('/login');
  });

  router.get('/password/forgot', (req, res) => {
    res.render('auth/forgot', { title: t(req.locale, 'auth.forgot_title'), values: {}, bare: true });
  });

  router.post('/password/forgot', async (req, res) => {
    await handleForm(
      req,
      res,
      'auth/forgot',
      { title: t(req.locale, 'auth.forgot_title'), bare: true },
      async () => {
        const input = parseInput(forgotPasswordSchema, req.body);
        await requestPasswordReset(req.ctx, input, config.defaultLocale);
        res.render('auth/forgot', { title: t(req.locale, 'auth.forgot_title'), sent: true, bare: true });
      },
    );
  });

  for (const [prefix, purpose] of [
    ['/password/reset', 'reset'],
    ['/invite', 'invite'],
  ] as const) {
    const view = 'auth/set-password';
    const locals = (req: Request) => ({ title: t(req.locale, `auth.${purpose}_title`), purpose, bare: true });
    router.get(`${prefix}/:token`, async (req, res) => {
      await checkLink(req.ctx, req.params.token, purpose);
      res.render(view, { ...locals(req), values: {} });
    });
    router.post(`${prefix}/:token`, async (req, res) => {
      await handleForm(req, res, view, locals(req), async () => {
        const input = parseInput(setPasswordSchema, req.body);
        await completeLink(req.ctx, req.params.token, purpose, input);
        req.session.flash = { kind: 'ok', key: 'auth.password_set' };
        res.redirect('/login');
      });
    });
  }
  return router;
}
