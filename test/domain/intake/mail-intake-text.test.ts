import { expect } from 'chai';
import { configureDomainSettings } from '../../../server/domain/settings.js';
import { parseIntakeAddress } from '../../../server/domain/intake/mail-intake.js';
import { bodyText, cleanSubject, stripQuoted } from '../../../server/domain/tickets/mail-text.js';

describe('inbound mail text', () => {
  describe('stripQuoted', () => {
    it('keeps what is above a quoted reply (Gmail, English)', () => {
      const text =
        'Here is the order number: 4471.\n\nOn Mon, 4 May 2026 at 10:12, Backoffice Desk <no-reply@desk.example> wrote:\n> Hello,\n> we received ACME-000001.\n';
      expect(stripQuoted(text)).to.equal('Here is the order number: 4471.');
    });

    it('knows the Italian and Danish attribution lines, also wrapped over two lines', () => {
      expect(
        stripQuoted('Grazie.\n\nIl giorno lun 4 mag 2026 alle ore 10:12 Desk <a@b.it> ha scritto:\n> testo'),
      ).to.equal('Grazie.');
      expect(stripQuoted('Tak.\r\n\r\nDen 4. maj 2026 kl. 10.12 skrev Desk <a@b.dk>:\r\n> tekst')).to.equal(
        'Tak.',
      );
      expect(
        stripQuoted(
          'Thanks.\n\nOn Mon, 4 May 2026 at 10:12, Backoffice Desk <no-reply@\ndesk.example> wrote:\n> quoted',
        ),
      ).to.equal('Thanks.');
    });

    it('keeps answers written below or between the quotes', () => {
      const text =
        'On 4 May 2026, Desk <a@b> wrote:\n> Which supplier?\n\nNordic Paper.\n> And the amount?\n1.200 EUR';
      expect(stripQuoted(text)).to.equal('Nordic Paper.\n1.200 EUR');
    });

    it('cuts at an unmarked quote, an Outlook header block, an original-message line and the signature', () => {
      expect(stripQuoted('Yes.\n\nOn 4 May 2026 at 10:12, Desk wrote:\nHello, we received it.')).to.equal(
        'Yes.',
      );
      expect(
        stripQuoted(
          'Sì.\n\nDa: Backoffice Desk <a@b>\nInviato: lunedì 4 maggio 2026 10:12\nA: Mario\nOggetto: x\n\ntesto',
        ),
      ).to.equal('Sì.');
      expect(stripQuoted('Ja.\n\n-----Oprindelig meddelelse-----\nFra: Desk')).to.equal('Ja.');
      expect(stripQuoted('Done.\n\n-- \nMario Rossi\nAcme')).to.equal('Done.');
    });

    it('leaves ordinary sentences alone', () => {
      const text = 'On Monday the supplier wrote:\nthe goods are on their way.';
      expect(stripQuoted(text)).to.equal(text);
    });
  });

  it('reads HTML-only mail as text', () => {
    expect(
      bodyText({
        text: '',
        html: '<html><head><style>p{}</style></head><body><p>Ciao&nbsp;a tutti</p><p>Riga 2<br>Riga 3 &amp; 4</p></body></html>',
      }),
    ).to.equal('Ciao a tutti\nRiga 2\nRiga 3 & 4');
  });

  it('cleans reply prefixes and ticket tags from subjects', () => {
    expect(cleanSubject('Re: Fwd: Reclamo Rossi')).to.equal('Reclamo Rossi');
    expect(cleanSubject('SV: VS: [ACME-000012] Faktura')).to.equal('Faktura');
    expect(cleanSubject('R: I: Ordine')).to.equal('Ordine');
    expect(cleanSubject('Invoice: March')).to.equal('Invoice: March');
  });

  describe('intake addresses', () => {
    before(() =>
      configureDomainSettings({ publicUrl: 'http://localhost:3000', inboundDomain: 'in.desk.test' }),
    );
    after(() => configureDomainSettings({ publicUrl: 'http://localhost:3000', inboundDomain: null }));

    it('reads the tenant and the ticket type; a plain address opens a complaint', () => {
      expect(parseIntakeAddress('acme@in.desk.test')).to.deep.equal({ code: 'acme', type: 'complaint' });
      expect(parseIntakeAddress('ACME+Invoice@IN.DESK.TEST')).to.deep.equal({
        code: 'acme',
        type: 'invoice',
      });
      expect(parseIntakeAddress('acme+data-entry@in.desk.test')).to.deep.equal({
        code: 'acme',
        type: 'data_entry',
      });
      expect(parseIntakeAddress('acme+data_entry@in.desk.test')).to.deep.equal({
        code: 'acme',
        type: 'data_entry',
      });
    });

    it('refuses other domains and unknown types', () => {
      expect(parseIntakeAddress('acme@desk.test')).to.equal(null);
      expect(parseIntakeAddress('acme@evil.in.desk.test')).to.equal(null);
      expect(parseIntakeAddress('acme+holiday@in.desk.test')).to.equal(null);
      expect(parseIntakeAddress('not an address')).to.equal(null);
    });
  });
});
