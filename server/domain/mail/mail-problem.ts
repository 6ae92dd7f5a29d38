import { networkKind } from '../network-problems.js';

/**
 * What went wrong with an outgoing mail, for people: the outbox keeps the SMTP server's or the
 * network stack's own words (English, technical); this names the kind of problem as a catalogue
 * key (`mail_problems.*`) so the admin home says it in the reader's language, the stored text
 * beside it. Null when there is no error.
 */
export interface MailProblem {
  key: string;
  params: Record<string, string | number>;
}

const smtpKinds: Array<[RegExp, string]> = [
  [/Invalid login|\b53[45]\b|authenticat/i, 'auth'],
  [/\b55[0-4]\b|recipient|mailbox|user unknown|no such user/i, 'recipient_refused'],
  [/ETIMEDOUT|timed? ?out|Greeting never received/i, 'timeout'],
];

export function mailProblem(error: string | null | undefined): MailProblem | null {
  if (!error) return null;
  const setAside = /^claimed (\d+) times without being finished/.exec(error);
  if (setAside) return { key: 'mail_problems.set_aside', params: { times: Number(setAside[1]) } };
  const kind = smtpKinds.find(([pattern]) => pattern.test(error))?.[1] ?? networkKind(error) ?? 'other';
  return { key: `mail_problems.${kind}`, params: {} };
}
