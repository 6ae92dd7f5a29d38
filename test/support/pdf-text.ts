import { getDocument, OPS } from 'pdfjs-dist/legacy/build/pdf.mjs';

export interface PdfContent {
  pages: number;
  /** Each page's text, items joined by spaces, pages by newlines. */
  text: string;
  /** Document title from the PDF's metadata. */
  title: string | null;
  /** Images painted (Chromium prints a canvas as one). */
  images: number;
}

interface Item {
  str: string;
  width: number;
  transform: number[];
}

/**
 * One page's text items as a line of text: a space where the items stand apart (table cells,
 * lines), none where a word was only cut into several items (ligatures such as "ffi").
 */
function joinItems(items: ReadonlyArray<object>): string {
  let out = '';
  let end: { x: number; y: number } | null = null;
  for (const raw of items) {
    if (!('str' in raw)) continue;
    const item = raw as Item;
    const x = item.transform[4] ?? 0;
    const y = item.transform[5] ?? 0;
    const touching = end !== null && Math.abs(y - end.y) < 1 && Math.abs(x - end.x) < 0.5;
    out += (touching || out === '' ? '' : ' ') + item.str;
    end = { x: x + item.width, y };
  }
  return out;
}

/** Read a PDF back: its text, page count, title and how many images it paints. */
export async function readPdf(bytes: Uint8Array): Promise<PdfContent> {
  const doc = await getDocument({
    data: new Uint8Array(bytes),
    useSystemFonts: false,
    isEvalSupported: false,
  }).promise;
  try {
    const parts: string[] = [];
    let images = 0;
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const content = await page.getTextContent();
      parts.push(joinItems(content.items));
      const ops = await page.getOperatorList();
      images += ops.fnArray.filter((fn) => fn === OPS.paintImageXObject).length;
    }
    const meta = await doc.getMetadata();
    const title = (meta.info as { Title?: string } | undefined)?.Title ?? null;
    return { pages: doc.numPages, text: parts.join('\n').replace(/[ \t]+/g, ' '), title, images };
  } finally {
    await doc.destroy();
  }
}
