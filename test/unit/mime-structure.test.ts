import { expect } from 'chai';
import nodemailer from 'nodemailer';
import { mimeStructureProblem } from '../../server/inbound-mail/mime-structure.js';

const head = 'From: a@example.test\r\nTo: b@example.test\r\nSubject: t\r\nMIME-Version: 1.0\r\n';
const check = (raw: string): string | null => mimeStructureProblem(Buffer.from(raw, 'latin1'));

/** Issue 13, item 7: what mailparser would read as a part without content is named, at any depth. */
describe('inbound mail: MIME structure', () => {
  it('accepts what a mail program writes: text and HTML alternatives, an attachment, a forwarded message', async () => {
    const transport = nodemailer.createTransport({ streamTransport: true, buffer: true });
    const info = await transport.sendMail({
      from: 'a@example.test',
      to: 'b@example.test',
      subject: 'Fattura',
      text: 'Il testo',
      html: '<p>Il testo</p>',
      attachments: [
        { filename: 'a.pdf', content: Buffer.from('%PDF-1.4 ...') },
        {
          filename: 'inoltrato.eml',
          contentType: 'message/rfc822',
          content: `${head}Content-Type: multipart/mixed\r\n\r\nbroken inside, kept as a file\r\n`,
        },
      ],
    });
    expect(check((info.message as Buffer).toString('latin1'))).to.equal(null);
    expect(check(`${head}Content-Type: text/plain\r\n\r\nJust text\r\n`)).to.equal(null);
    expect(check(`${head}\r\nNo content type at all\r\n`)).to.equal(null);
    expect(
      check(
        `${head}Content-Type: multipart/mixed;\r\n boundary="a.b+c (d)"\r\n\r\n--a.b+c (d)\r\nContent-Type: text/plain\r\n\r\nFolded, quoted, odd characters\r\n--a.b+c (d)--\r\n`,
      ),
    ).to.equal(null);
  });

  it('names a multipart mail without a boundary, with an empty one, or whose boundary never appears', () => {
    expect(
      check(
        `${head}Content-Type: multipart/mixed\r\n\r\n--zzz\r\nContent-Type: text/plain\r\n\r\nLost\r\n--zzz--\r\n`,
      ),
    ).to.equal('multipart body without a boundary');
    expect(check(`${head}Content-Type: multipart/mixed; boundary=""\r\n\r\n--\r\n\r\nLost\r\n`)).to.equal(
      'multipart body without a boundary',
    );
    expect(check(`${head}Content-Type: multipart/mixed; boundary="abc"\r\n\r\nLost body text\r\n`)).to.equal(
      'multipart body without its boundary lines',
    );
  });

  it('names a broken multipart part inside a well-formed one', () => {
    const raw = `${head}Content-Type: multipart/mixed; boundary="outer"\r\n\r\n--outer\r\nContent-Type: multipart/alternative\r\n\r\nThe text, lost\r\n--outer\r\nContent-Type: text/plain\r\n\r\nfine\r\n--outer--\r\n`;
    expect(check(raw)).to.equal('multipart body without a boundary');
  });
});
