import { z } from 'zod';

/** A person's name and e-mail as every form that names a person takes them (staff, a client's team). */
export const personName = z.string().trim().min(2).max(120);
export const personEmail = z
  .email()
  .max(254)
  .transform((v) => v.toLowerCase());
