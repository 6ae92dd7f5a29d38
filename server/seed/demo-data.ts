import type { Role } from '../../models/user.js';

/** The demo organisation: what a new user sees on first start, listed in the README. */
export const DEMO_PASSWORD = 'desk-demo-2026';

export const demoProvider = {
  name: 'Backoffice Desk Services',
  timeZone: 'Europe/Rome',
  locale: 'en' as const,
};

export const demoTenants = [
  {
    code: 'acme',
    legalName: 'Acme Logistica S.p.A.',
    timeZone: 'Europe/Rome',
    locale: 'it' as const,
    /** The buyer of the demo e-invoices (server/seed/demo-einvoices.ts). */
    vatNumber: 'IT12345678903',
    /** Four eyes on invoices (README): above these amounts a second person decides. */
    fourEyes: [{ currency: 'EUR', above: '5000.00' }],
  },
  {
    code: 'nordhavn',
    legalName: 'Nordhavn Shipping A/S',
    timeZone: 'Europe/Copenhagen',
    locale: 'da' as const,
    vatNumber: 'DK87654311',
    fourEyes: [
      { currency: 'DKK', above: '37500.00' },
      { currency: 'EUR', above: '5000.00' },
    ],
  },
];

export interface DemoUser {
  email: string;
  name: string;
  role: Role;
  /** Client users: their tenant's code. */
  tenant?: string;
  /** Staff: the codes of the tenants they serve. */
  serves?: string[];
}

export const demoUsers: DemoUser[] = [
  { email: 'admin@desk.example', name: 'Ada Ferrari', role: 'admin' },
  { email: 'lead@desk.example', name: 'Luca Moretti', role: 'team_lead', serves: ['acme', 'nordhavn'] },
  { email: 'marco@desk.example', name: 'Marco Esposito', role: 'operator', serves: ['acme', 'nordhavn'] },
  { email: 'sara@desk.example', name: 'Sara Lindholm', role: 'operator', serves: ['acme'] },
  { email: 'anna@desk.example', name: 'Anna Holm', role: 'account_manager', serves: ['acme', 'nordhavn'] },
  { email: 'admin@acme.example', name: 'Alessandro Rossi', role: 'client_admin', tenant: 'acme' },
  { email: 'user@acme.example', name: 'Chiara Bianchi', role: 'client_user', tenant: 'acme' },
  { email: 'admin@nordhavn.example', name: 'Mette Jensen', role: 'client_admin', tenant: 'nordhavn' },
  { email: 'user@nordhavn.example', name: 'Lars Nielsen', role: 'client_user', tenant: 'nordhavn' },
];
