/**
 * The kind of a network failure from the words Node's network stack (and nodemailer on top of it)
 * puts in an error message: one list for outgoing webhooks and outgoing mail, so a page can name
 * the problem in the reader's language while the technical text stays beside it.
 */
export type NetworkKind = 'no_such_host' | 'connection_refused' | 'connection_reset' | 'tls';

const kinds: Array<[RegExp, NetworkKind]> = [
  [/ENOTFOUND|EAI_AGAIN|no address for /, 'no_such_host'],
  [/ECONNREFUSED/, 'connection_refused'],
  [/ECONNRESET|EPIPE|socket hang up|Connection closed/, 'connection_reset'],
  [/certificate|CERT_|SSL|TLS|EPROTO/i, 'tls'],
];

export function networkKind(error: string): NetworkKind | null {
  return kinds.find(([pattern]) => pattern.test(error))?.[1] ?? null;
}
