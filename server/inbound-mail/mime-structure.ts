/**
 * Why a mail's MIME structure cannot be read, or null. mailparser reads a multipart part whose
 * boundary is missing, empty, or never appears in its body as a part without content, at any
 * depth, without a word: the text (and attachments) in it would be silently lost. This walks the
 * multipart tree of the raw mail the way mailparser splits it (by each part's boundary lines) and
 * names the first part it cannot split. Parts that are not multipart (forwarded messages
 * included: they are kept as attachments) are not looked into.
 */
export function mimeStructureProblem(raw: Buffer): string | null {
  return partProblem(raw.toString('latin1'), 0);
}

/** Deeper than this is not a mail a person wrote: refused rather than walked. */
const MAX_DEPTH = 20;

function partProblem(part: string, depth: number): string | null {
  if (depth > MAX_DEPTH) return 'multipart nested too deep';
  const split = /\r?\n\r?\n/.exec(part);
  const head = split ? part.slice(0, split.index) : part;
  const body = split ? part.slice(split.index + split[0].length) : '';
  const type = contentTypeOf(head);
  if (!type || !/^multipart\//i.test(type)) return null;
  const boundary = /;\s*boundary\s*=\s*(?:"([^"]*)"|([^\s;]+))/i.exec(type);
  const value = (boundary?.[1] ?? boundary?.[2] ?? '').trimEnd();
  if (!value) return 'multipart body without a boundary';
  // Boundary lines start a line: "--boundary", the last one "--boundary--".
  const delimiter = new RegExp(
    `(?:^|\\r?\\n)--${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(--)?[ \\t]*(?=\\r?\\n|$)`,
    'g',
  );
  const marks = [...body.matchAll(delimiter)];
  const opening = marks.filter((m) => !m[1]);
  if (!opening.length) return 'multipart body without its boundary lines';
  for (const mark of opening) {
    const start = (mark.index ?? 0) + mark[0].length;
    const next = marks.find((m) => (m.index ?? 0) >= start);
    const inner = body.slice(start, next ? next.index : body.length).replace(/^\r?\n/, '');
    const problem = partProblem(inner, depth + 1);
    if (problem) return problem;
  }
  return null;
}

/** The Content-Type header's value (folded lines joined), or null. */
function contentTypeOf(head: string): string | null {
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const line = /^content-type\s*:(.*)$/im.exec(unfolded);
  return line ? (line[1] ?? '').trim() : null;
}
