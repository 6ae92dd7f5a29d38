import { networkKind } from '../network-problems.js';

/**
 * What went wrong with a delivery attempt, for people: the attempt log keeps the network stack's
 * own words (`timed out after 10000 ms`, `getaddrinfo ENOTFOUND …`, a refused target's sentence),
 * which are English and technical. This names the kind of problem as a catalogue key
 * (`webhook_problems.*`) so a page says it in the reader's language; the stored text stays the
 * technical detail beside it. Null when the attempt has no error.
 */
export interface AttemptProblem {
  key: string;
  params: Record<string, string | number>;
}

export function attemptProblem(error: string | null | undefined): AttemptProblem | null {
  if (!error) return null;
  const timeout = /^timed out after (\d+) ms/.exec(error);
  if (timeout)
    return {
      key: 'webhook_problems.timeout',
      params: { seconds: Math.max(1, Math.round(Number(timeout[1]) / 1000)) },
    };
  const refused = /^refused: |webhook target .* refused|EWEBHOOKTARGET/.test(error);
  const kind = refused ? 'refused' : (networkKind(error) ?? 'other');
  return { key: `webhook_problems.${kind}`, params: {} };
}
