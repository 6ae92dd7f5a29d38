import { Router, type Request } from 'express';
import {
  commentInputSchema,
  commentOnRating,
  rateInputSchema,
  rateResolution,
  surveyPage,
  type SurveyView,
} from '../../domain/tickets/rate-resolution.js';
import { t } from '../../i18n/i18n.js';
import { handleForm, parseInput } from '../forms.js';

const token = (req: Request): string => String(req.params.token ?? '');

/** Page locals in the language the survey was sent in (the requester's, not the browser's). */
const locals = (view: SurveyView) => ({
  title: t(view.locale, 'csat.title', { number: view.number }),
  locale: view.locale,
  number: view.number,
  bare: true,
});

/** The survey page: the five scores, the one chosen in the mail (if any), the one recorded. */
const surveyLocals = (view: SurveyView, chosen: number | null) => ({
  ...locals(view),
  chosen,
  scores: [1, 2, 3, 4, 5].map((score) => ({ score, label: t(view.locale, `csat.scores.${score}`) })),
  current: view.score,
});

/**
 * The satisfaction survey of a resolved mail: no sign-in, the signed token is the authority.
 * A GET never records (mail scanners open links): it shows the chosen score with a button, and a
 * small script (public/js/csat.js) presses it at once, so a person's click is one click.
 */
export function csatRoutes(): Router {
  const router = Router();

  router.get('/csat/:token', async (req, res) => {
    const view = await surveyPage(req.ctx, token(req));
    const chosen = rateInputSchema.safeParse({ score: req.query.score });
    res.render('csat/survey', surveyLocals(view, chosen.success ? chosen.data.score : null));
  });

  // The link first (a forged or expired one is 404 whatever the score), then the score: one
  // outside 1..5 shows the survey again, with why, in the survey's language.
  router.post('/csat/:token', async (req, res) => {
    const view = await surveyPage(req.ctx, token(req));
    req.locale = view.locale;
    await handleForm(req, res, 'csat/survey', surveyLocals(view, null), async () => {
      const input = parseInput(rateInputSchema, req.body);
      await rateResolution(req.ctx, token(req), input);
      res.redirect(303, `/csat/${encodeURIComponent(token(req))}/comment`);
    });
  });

  router.get('/csat/:token/comment', async (req, res) => {
    const view = await surveyPage(req.ctx, token(req));
    if (view.score === null) return res.redirect(`/csat/${encodeURIComponent(token(req))}`);
    res.render('csat/comment', { ...locals(view), score: view.score, values: { comment: view.comment } });
  });

  router.post('/csat/:token/comment', async (req, res) => {
    const view = await surveyPage(req.ctx, token(req));
    req.locale = view.locale;
    await handleForm(req, res, 'csat/comment', { ...locals(view), score: view.score }, async () => {
      const input = parseInput(commentInputSchema, req.body);
      const saved = await commentOnRating(req.ctx, token(req), input);
      res.render('csat/thanks', { ...locals(saved), score: saved.score });
    });
  });
  return router;
}
