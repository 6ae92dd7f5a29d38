import type { z } from 'zod';
import type { ticketInputSchema } from '../domain/tickets/schemas.js';

type TicketInput = z.input<typeof ticketInputSchema>;

/** A few tickets per demo client, so lists and queues are not empty on first start. */
export const demoTickets: Record<
  string,
  Array<{ by: string; input: TicketInput; reply?: string; status?: 'pending' | 'resolved' }>
> = {
  acme: [
    {
      by: 'user@acme.example',
      input: {
        type: 'invoice',
        subject: 'Fattura Rossi Trasporti 2026/118',
        description: 'Trasporti di ottobre, da registrare e pagare.',
        priority: 'high',
        tags: ['trasporti'],
        fields: {
          supplierName: 'Rossi Trasporti S.r.l.',
          supplierVat: 'IT01234567897',
          invoiceNumber: '2026/118',
          issueDate: '2026-11-02',
          dueDate: '2026-12-02',
          amount: 1250.4,
          currency: 'EUR',
          poNumber: 'PO-7781',
        },
      },
      reply: 'Stiamo verificando l\u2019ordine PO-7781.',
    },
    {
      by: 'user@acme.example',
      input: {
        type: 'data_entry',
        subject: 'Bolle di consegna settimana 47',
        description: 'Inserire le bolle nel gestionale.',
        priority: 'normal',
        tags: [],
        fields: {
          batchDescription: '312 bolle di consegna scansionate',
          targetSystem: 'SAP B1',
          expectedRecordCount: 312,
          recordsCompleted: 0,
          errorCount: 0,
        },
      },
    },
    {
      by: 'admin@acme.example',
      input: {
        type: 'complaint',
        subject: 'Consegna in ritardo, cliente Bianchi Arredamenti',
        description: 'Il cliente lamenta un ritardo di 5 giorni.',
        priority: 'urgent',
        tags: ['ritardi'],
        fields: {
          customerName: 'Bianchi Arredamenti',
          customerReference: 'CLI-2231',
          channel: 'phone',
          category: 'Ritardo',
          severity: 'high',
          requestedRemedy: 'Rimborso spese di spedizione',
        },
      },
      status: 'pending',
    },
  ],
  nordhavn: [
    {
      by: 'user@nordhavn.example',
      input: {
        type: 'invoice',
        subject: 'Faktura Øresund Bunker 88213',
        description: 'Bunkerolie, oktober.',
        priority: 'normal',
        tags: [],
        fields: {
          supplierName: 'Øresund Bunker ApS',
          supplierVat: 'DK12345674',
          invoiceNumber: '88213',
          issueDate: '2026-11-10',
          dueDate: '2026-12-10',
          amount: 48200,
          currency: 'DKK',
        },
      },
    },
    {
      by: 'admin@nordhavn.example',
      input: {
        type: 'complaint',
        subject: 'Beskadiget container, kunde Jensen Møbler',
        description: 'Kunden har modtaget en beskadiget container.',
        priority: 'high',
        tags: [],
        fields: {
          customerName: 'Jensen Møbler',
          customerReference: 'K-5512',
          channel: 'mail',
          category: 'Skade',
          severity: 'medium',
        },
      },
      reply: 'Vi har bedt om billeder af skaden.',
      status: 'resolved',
    },
  ],
};
