/**
 * What the demo history's tickets say, in each demo client's language: suppliers, batches,
 * end customers and the replies exchanged. Placeholders: {week}, {month}, {n}, {customer}.
 */
export interface HistorySupplier {
  name: string;
  short: string;
  vat: string;
  currency: 'EUR' | 'DKK';
  /** Invoice amounts lie in [min, max]. */
  min: number;
  max: number;
}

export interface HistoryBatch {
  subject: string;
  batch: string;
  system: string;
  records: [number, number];
}

export interface HistoryComplaint {
  category: string;
  subject: string;
  description: string;
  remedy: string;
  outcome: string;
}

export interface HistoryTexts {
  /** Luxon locale for month names in subjects. */
  locale: string;
  suppliers: HistorySupplier[];
  invoiceSubject: string;
  invoiceDescriptions: string[];
  batches: HistoryBatch[];
  customers: Array<{ name: string; reference: string }>;
  complaints: HistoryComplaint[];
  tags: Record<'data_entry' | 'complaint' | 'invoice', string[]>;
  /** A staff member's first public reply. */
  firstReplies: string[];
  /** Staff asking the client for something (the ticket then waits on the client). */
  questions: string[];
  answers: string[];
  resolutions: string[];
  reopenings: string[];
  reasons: { rejected: string[]; on_hold: string[] };
}

export const historyTexts: Record<string, HistoryTexts> = {
  acme: {
    locale: 'it',
    suppliers: [
      {
        name: 'Rossi Trasporti S.r.l.',
        short: 'Rossi Trasporti',
        vat: 'IT01234567897',
        currency: 'EUR',
        min: 400,
        max: 6_000,
      },
      {
        name: 'Ferri Imballaggi S.p.A.',
        short: 'Ferri Imballaggi',
        vat: 'IT02345678904',
        currency: 'EUR',
        min: 150,
        max: 3_500,
      },
      {
        name: 'Carburanti Lombardi S.r.l.',
        short: 'Carburanti Lombardi',
        vat: 'IT03456789019',
        currency: 'EUR',
        min: 2_000,
        max: 25_000,
      },
      {
        name: 'Officina Brambilla S.n.c.',
        short: 'Officina Brambilla',
        vat: 'IT04567890126',
        currency: 'EUR',
        min: 200,
        max: 4_800,
      },
      {
        name: 'Telecom Servizi Nord S.r.l.',
        short: 'Telecom Servizi Nord',
        vat: 'IT05678901231',
        currency: 'EUR',
        min: 90,
        max: 1_800,
      },
      {
        name: 'Magazzini Generali Padani S.p.A.',
        short: 'Magazzini Padani',
        vat: 'IT06789012348',
        currency: 'EUR',
        min: 1_500,
        max: 12_000,
      },
    ],
    invoiceSubject: 'Fattura {supplier} {n}',
    invoiceDescriptions: [
      'Da registrare e mettere in pagamento.',
      'Verificare con l’ordine prima del pagamento.',
      'Servizi del mese: controllare le quantità.',
    ],
    batches: [
      {
        subject: 'Bolle di consegna settimana {week}',
        batch: '{n} bolle di consegna scansionate',
        system: 'SAP B1',
        records: [120, 420],
      },
      {
        subject: 'DDT fornitori di {month}',
        batch: '{n} documenti di trasporto dei fornitori',
        system: 'SAP B1',
        records: [60, 260],
      },
      {
        subject: 'Anagrafiche nuovi clienti',
        batch: '{n} schede cliente da inserire',
        system: 'CRM Acme',
        records: [15, 80],
      },
      {
        subject: 'Ordini di ritiro settimana {week}',
        batch: '{n} ordini di ritiro da caricare',
        system: 'TMS Trasporti',
        records: [40, 180],
      },
      {
        subject: 'Inventario magazzino Piacenza',
        batch: 'Conteggi di inventario, {n} righe',
        system: 'WMS Piacenza',
        records: [300, 900],
      },
    ],
    customers: [
      { name: 'Bianchi Arredamenti', reference: 'CLI-2231' },
      { name: 'Verdi Alimentari', reference: 'CLI-1187' },
      { name: 'Ceramiche Moretti', reference: 'CLI-3045' },
      { name: 'Gallo Elettronica', reference: 'CLI-2719' },
      { name: 'Fontana Vini', reference: 'CLI-1502' },
      { name: 'Esposito Tessuti', reference: 'CLI-3388' },
    ],
    complaints: [
      {
        category: 'Ritardo',
        subject: 'Consegna in ritardo, cliente {customer}',
        description: 'Il cliente segnala un ritardo di {n} giorni sulla consegna.',
        remedy: 'Rimborso delle spese di spedizione',
        outcome: 'Riconosciuto uno sconto del 5% sulla prossima spedizione.',
      },
      {
        category: 'Merce danneggiata',
        subject: 'Merce danneggiata, cliente {customer}',
        description: 'Sono arrivati {n} colli con l’imballo rotto.',
        remedy: 'Sostituzione della merce',
        outcome: 'Merce sostituita, danno aperto con l’assicurazione del vettore.',
      },
      {
        category: 'Fatturazione errata',
        subject: 'Fattura errata, cliente {customer}',
        description: 'L’importo fatturato è diverso da quello concordato.',
        remedy: 'Nota di credito',
        outcome: 'Emessa nota di credito per la differenza.',
      },
      {
        category: 'Consegna incompleta',
        subject: 'Consegna incompleta, cliente {customer}',
        description: 'Mancano {n} colli rispetto alla bolla.',
        remedy: 'Consegna dei colli mancanti',
        outcome: 'Colli ritrovati in deposito e consegnati.',
      },
    ],
    tags: {
      data_entry: ['ddt', 'inventario'],
      complaint: ['ritardi', 'danni'],
      invoice: ['trasporti', 'carburante', 'imballaggi'],
    },
    firstReplies: [
      'Presa in carico, vi aggiorniamo a breve.',
      'Ricevuto, iniziamo la lavorazione oggi.',
      'Grazie, stiamo verificando i documenti.',
      'Abbiamo avviato le verifiche con il fornitore.',
    ],
    questions: [
      'Ci serve una copia dell’ordine per procedere.',
      'Alcune pagine della scansione non sono leggibili: potete rimandarle?',
      'Prima di procedere ci serve una vostra conferma.',
    ],
    answers: [
      'Ecco il documento richiesto, grazie.',
      'Confermo, potete procedere.',
      'Inviati i file mancanti.',
    ],
    resolutions: [
      'Lavorazione completata.',
      'Fatto: trovate tutto nel gestionale.',
      'Chiuso con il cliente, vi giriamo il riepilogo.',
    ],
    reopenings: [
      'Il problema si è ripresentato, potete ricontrollare?',
      'Mancano ancora alcune righe, potete verificare?',
    ],
    reasons: {
      rejected: ['Prezzo non conforme all’ordine.', 'Fattura già pagata con un altro numero.'],
      on_hold: ['In attesa della conferma di ricezione della merce.', 'Manca il numero d’ordine.'],
    },
  },
  nordhavn: {
    locale: 'da',
    suppliers: [
      {
        name: 'Maersk Container Service A/S',
        short: 'Maersk Container',
        vat: 'DK23456788',
        currency: 'DKK',
        min: 5_000,
        max: 90_000,
      },
      {
        name: 'Aarhus Havneservice A/S',
        short: 'Aarhus Havneservice',
        vat: 'DK34567891',
        currency: 'DKK',
        min: 3_000,
        max: 45_000,
      },
      {
        name: 'Nordic Lashing ApS',
        short: 'Nordic Lashing',
        vat: 'DK45678903',
        currency: 'DKK',
        min: 1_200,
        max: 18_000,
      },
      {
        name: 'Esbjerg Værft A/S',
        short: 'Esbjerg Værft',
        vat: 'DK56789014',
        currency: 'DKK',
        min: 20_000,
        max: 250_000,
      },
      {
        name: 'Øresund Bunker ApS',
        short: 'Øresund Bunker',
        vat: 'DK12345674',
        currency: 'DKK',
        min: 15_000,
        max: 120_000,
      },
      {
        name: 'Hamburger Schlepp GmbH',
        short: 'Hamburger Schlepp',
        vat: 'DE123456789',
        currency: 'EUR',
        min: 800,
        max: 9_000,
      },
    ],
    invoiceSubject: 'Faktura {supplier} {n}',
    invoiceDescriptions: [
      'Skal bogføres og betales.',
      'Kontrollér mod ordren før betaling.',
      'Månedens ydelser: kontrollér antal.',
    ],
    batches: [
      {
        subject: 'Fragtbreve uge {week}',
        batch: '{n} scannede fragtbreve',
        system: 'Navision',
        records: [80, 350],
      },
      {
        subject: 'Tolddokumenter for {month}',
        batch: '{n} tolddeklarationer',
        system: 'CargoWise',
        records: [40, 200],
      },
      { subject: 'Nye kundestamdata', batch: '{n} nye kunder', system: 'Navision', records: [10, 60] },
      {
        subject: 'Containerbookinger uge {week}',
        batch: '{n} bookinger',
        system: 'CargoWise',
        records: [60, 240],
      },
    ],
    customers: [
      { name: 'Jensen Møbler', reference: 'K-5512' },
      { name: 'Hansen Fisk A/S', reference: 'K-4120' },
      { name: 'Sørensen Byg', reference: 'K-6034' },
      { name: 'Larsen Elektronik', reference: 'K-3391' },
      { name: 'Poulsen Agro', reference: 'K-7208' },
    ],
    complaints: [
      {
        category: 'Forsinkelse',
        subject: 'Forsinket levering, kunde {customer}',
        description: 'Kunden melder {n} dages forsinkelse.',
        remedy: 'Refusion af fragten',
        outcome: 'Fragten er krediteret kunden.',
      },
      {
        category: 'Skade',
        subject: 'Beskadiget gods, kunde {customer}',
        description: '{n} paller ankom med skader.',
        remedy: 'Erstatning af varerne',
        outcome: 'Skaden er anmeldt til rederiets forsikring, og varerne er erstattet.',
      },
      {
        category: 'Forkert faktura',
        subject: 'Forkert faktura, kunde {customer}',
        description: 'Beløbet svarer ikke til tilbuddet.',
        remedy: 'Kreditnota',
        outcome: 'Kreditnota udstedt for differencen.',
      },
      {
        category: 'Manglende levering',
        subject: 'Manglende kolli, kunde {customer}',
        description: 'Der mangler {n} kolli i forhold til fragtbrevet.',
        remedy: 'Levering af de manglende kolli',
        outcome: 'Kolli fundet på terminalen og leveret.',
      },
    ],
    tags: {
      data_entry: ['told', 'fragtbreve'],
      complaint: ['forsinkelse', 'skade'],
      invoice: ['fragt', 'bunker', 'havn'],
    },
    firstReplies: [
      'Vi har modtaget sagen og vender tilbage i dag.',
      'Tak, vi går i gang med registreringen.',
      'Vi undersøger sagen hos leverandøren.',
      'Modtaget, vi kontrollerer dokumenterne.',
    ],
    questions: [
      'Vi mangler en kopi af ordren for at komme videre.',
      'Nogle sider i scanningen kan ikke læses – kan I sende dem igen?',
      'Vi skal have jeres bekræftelse, før vi fortsætter.',
    ],
    answers: ['Her er det ønskede dokument.', 'Bekræftet, I kan fortsætte.', 'De manglende filer er sendt.'],
    resolutions: [
      'Arbejdet er afsluttet.',
      'Færdig: alt ligger i systemet.',
      'Afsluttet med kunden, vi sender et resumé.',
    ],
    reopenings: [
      'Problemet er opstået igen – kan I se på det?',
      'Der mangler stadig nogle linjer, kan I kontrollere?',
    ],
    reasons: {
      rejected: ['Prisen svarer ikke til ordren.', 'Fakturaen er allerede betalt under et andet nummer.'],
      on_hold: ['Afventer bekræftelse af varemodtagelse.', 'Ordrenummer mangler.'],
    },
  },
};
