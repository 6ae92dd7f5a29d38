/** `text` as a regular expression that matches exactly it (no character of it a pattern's). */
export const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
