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

const kinds: Array<[RegExp, string]> = [
  [/^refused: |webhook target .* refused|EWEBHOOKTARGET/, 'refused'],
  [/ENOTFOUND|EAI_AGAIN|no address for /, 'no_such_host'],
  [/ECONNREFUSED/, 'connection_refused'],
  [/ECONNRESET|EPIPE|socket hang up/, 'connection_reset'],
  [/certificate|CERT_|SSL|TLS|EPROTO/i, 'tls'],
];

export function attemptProblem(error: string | null | undefined): AttemptProblem | null {
  if (!error) return null;
  const timeout = /^timed out after (\d+) ms/.exec(error);
  if (timeout)
    return {
      key: 'webhook_problems.timeout',
      params: { seconds: Math.max(1, Math.round(Number(timeout[1]) / 1000)) },
    };
  const kind = kinds.find(([pattern]) => pattern.test(error))?.[1] ?? 'other';
  return { key: `webhook_problems.${kind}`, params: {} };
}
