/**
 * Signing in as a browser does, for the benches that load pages over HTTP: the login page's form
 * token and first cookie, the form posted, the session cookie kept. One copy for every bench.
 */

/** The `_csrf` hidden field of a page the portal rendered ('' when it has none). */
export const csrfIn = (html: string): string => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

const sessionCookieOf = (res: Response): string | undefined =>
  res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0] ?? '')
    .find((c) => c.startsWith('desk.sid='));

/** Signs `email` in through the login form; returns the session cookie pair (`desk.sid=…`). */
export async function signIn(url: string, email: string, password: string): Promise<string> {
  const page = await fetch(`${url}/login`);
  const csrf = csrfIn(await page.text());
  const first = sessionCookieOf(page);
  if (!csrf || !first) throw new Error('no form token or cookie on the login page');
  const res = await fetch(`${url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: first, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, email, password }).toString(),
  });
  await res.arrayBuffer();
  const cookie = sessionCookieOf(res) ?? first;
  if (res.status !== 302) throw new Error(`sign-in of ${email} failed (${res.status})`);
  return cookie;
}
