import type { Response } from 'express';

const contentTypes = { csv: 'text/csv; charset=utf-8', pdf: 'application/pdf' } as const;

/**
 * Send a generated file as a download. Every export (reports, statements, the operator view, the
 * import template) goes through here, so they all name their files and types the same way.
 */
export function sendDownload(
  res: Response,
  file: { name: string; type: keyof typeof contentTypes; body: string | Buffer },
): void {
  res.set('Content-Type', contentTypes[file.type]);
  res.set('Content-Disposition', `attachment; filename="${file.name}"`);
  res.send(file.body);
}
