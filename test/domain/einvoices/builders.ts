/**
 * The e-invoice XML builders of the tests are the generators of the demo seed and bench/einvoice
 * (server/seed/einvoice-samples.ts): one builder, written there, not copied from sample files.
 */
export * from '../../../server/seed/einvoice-samples.js';
