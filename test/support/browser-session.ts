import supertest from 'supertest';
import { PASSWORD } from './factories.js';

export type Agent = ReturnType<typeof supertest.agent>;

/** The CSRF token a page rendered into its forms. */
export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error('no CSRF token on the page');
  return match[1];
}

/** A cookie-keeping client that fetches a form's token and posts it, as a browser does. */
export async function postForm(
  agent: Agent,
  formPage: string,
  action: string,
  fields: Record<string, string | string[]>,
) {
  const page = await agent.get(formPage);
  const body = new URLSearchParams();
  body.append('_csrf', csrfFrom(page.text));
  for (const [k, v] of Object.entries(fields))
    for (const item of Array.isArray(v) ? v : [v]) body.append(k, item);
  return agent.post(action).type('form').send(body.toString());
}

export async function signedInAgent(url: string, email: string, password = PASSWORD): Promise<Agent> {
  const agent = supertest.agent(url);
  const res = await postForm(agent, '/login', '/login', { email, password });
  if (res.status !== 302) throw new Error(`sign-in of ${email} failed with ${res.status}`);
  return agent;
}
