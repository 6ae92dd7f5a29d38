import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { mailProblem } from '../../../server/domain/mail/mail-problem.js';
import { freePort } from '../../support/spawned-portal.js';

/** A real SMTP server on loopback that refuses in the given way. */
async function refusingServer(options: ConstructorParameters<typeof SMTPServer>[0]): Promise<{
  port: number;
  close: () => Promise<void>;
}> {
  const server = new SMTPServer({ disabledCommands: ['STARTTLS'], logger: false, ...options });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The error message nodemailer gives for one mail to `port`. */
async function errorSending(port: number, auth?: { user: string; pass: string }): Promise<string> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    auth,
    connectionTimeout: 5_000,
  });
  try {
    await transport.sendMail({ from: 'desk@desk.test', to: 'nobody@acme.example', text: 'x' });
  } catch (err) {
    return (err as Error).message;
  } finally {
    transport.close();
  }
  throw new Error('the mail was accepted');
}

/** The kinds the admin home names a failed mail by, from the errors real SMTP exchanges give. */
describe('mail problems (what a failed mail says on the admin home)', function () {
  this.timeout(30_000);

  it('names a refused recipient, a refused sign-in and a refused connection from real SMTP errors', async () => {
    const rcpt = await refusingServer({
      authOptional: true,
      onRcptTo(_address, _session, callback) {
        const err = Object.assign(new Error('5.1.1 mailbox unavailable'), { responseCode: 550 });
        callback(err);
      },
    });
    const login = await refusingServer({
      authMethods: ['PLAIN', 'LOGIN'],
      allowInsecureAuth: true,
      onAuth(_auth, _session, callback) {
        callback(new Error('Invalid username or password'));
      },
    });
    try {
      const refused = await errorSending(rcpt.port);
      expect(mailProblem(refused), refused).to.deep.equal({
        key: 'mail_problems.recipient_refused',
        params: {},
      });
      const badLogin = await errorSending(login.port, { user: 'desk', pass: 'wrong' });
      expect(mailProblem(badLogin), badLogin).to.deep.equal({ key: 'mail_problems.auth', params: {} });
    } finally {
      await rcpt.close();
      await login.close();
    }
    const closed = await errorSending(await freePort());
    expect(mailProblem(closed), closed).to.deep.equal({
      key: 'mail_problems.connection_refused',
      params: {},
    });
  });

  it('names an outbox row set aside, and nothing when there is no error', () => {
    expect(mailProblem('claimed 9 times without being finished (last error: none); set aside')).to.deep.equal(
      { key: 'mail_problems.set_aside', params: { times: 9 } },
    );
    expect(mailProblem('a reason nobody foresaw')).to.deep.equal({ key: 'mail_problems.other', params: {} });
    expect(mailProblem(null)).to.equal(null);
  });
});
