import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Webhook } from 'standardwebhooks';
import { newWebhookSecret } from '../../../server/domain/webhooks/secrets.js';
import { signatureOf, signWith } from '../../../server/domain/webhooks/sign.js';

/** Our signer (Node's HMAC) against the `standardwebhooks` package: same bytes, its verifier agrees. */
describe('webhook signatures (sign.ts)', () => {
  const headersOf = (msgId: string, at: Date, signature: string) => ({
    'webhook-id': msgId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signature,
  });

  it('signs exactly as the standardwebhooks package does, for any secret and body', () => {
    for (let i = 0; i < 200; i++) {
      const secret = newWebhookSecret();
      const msgId = `msg_${randomBytes(12).toString('hex')}`;
      const at = new Date(Date.UTC(2026, 11, 5, 10, 0, i));
      const body = JSON.stringify({ n: i, text: 'Però è già così – ærø ✓', pad: 'x'.repeat(i * 7) });
      expect(signWith(secret, msgId, at, body)).to.equal(new Webhook(secret).sign(msgId, at, body));
    }
  });

  it('signs with both secrets during a rotation, each verified by the package, the old one only until its end', () => {
    const now = new Date();
    const ep = {
      secret: newWebhookSecret(),
      previousSecret: newWebhookSecret(),
      previousSecretUntil: new Date(now.getTime() + 60_000),
    };
    const body = '{"type":"ticket.created"}';
    const header = signatureOf(ep, 'msg_rot', now, body);
    expect(header.split(' ')).to.have.length(2);
    for (const secret of [ep.secret, ep.previousSecret])
      expect(new Webhook(secret).verify(body, headersOf('msg_rot', now, header))).to.deep.equal(
        JSON.parse(body),
      );
    const later = new Date(now.getTime() + 120_000);
    expect(signatureOf(ep, 'msg_rot', later, body).split(' ')).to.have.length(1);
  });

  it('a signature for other bytes does not verify', () => {
    const secret = newWebhookSecret();
    const now = new Date();
    const header = signatureOf({ secret }, 'msg_x', now, '{"a":1}');
    expect(() => new Webhook(secret).verify('{"a":2}', headersOf('msg_x', now, header))).to.throw();
  });
});
