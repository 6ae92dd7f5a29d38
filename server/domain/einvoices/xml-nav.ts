import type { FindingLocation } from './types.js';

/**
 * Reading a parsed e-invoice by local names: FatturaPA files use whatever namespace prefix (or
 * none) on the root and none below it, UBL uses cac/cbc prefixes that vary; the readers match
 * element names without their namespace, one step at a time from a known parent.
 */

const ELEMENT = 1;

/** The element children of `parent` named `name` (local name). */
export function children(parent: Element | undefined, name: string): Element[] {
  if (!parent) return [];
  const found: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling)
    if (node.nodeType === ELEMENT && (node as Element).localName === name) found.push(node as Element);
  return found;
}

/** The first element child named `name`. */
export function child(parent: Element | undefined, name: string): Element | undefined {
  if (!parent) return undefined;
  for (let node = parent.firstChild; node; node = node.nextSibling)
    if (node.nodeType === ELEMENT && (node as Element).localName === name) return node as Element;
  return undefined;
}

/** The first element at `names` below `from` (each step the first match). */
export function at(from: Element | undefined, ...names: string[]): Element | undefined {
  let el = from;
  for (const name of names) el = child(el, name);
  return el;
}

/** Every element at `names` below `from` (every match at every step). */
export function all(from: Element | undefined, ...names: string[]): Element[] {
  let level: Element[] = from ? [from] : [];
  for (const name of names) level = level.flatMap((el) => children(el, name));
  return level;
}

/** The trimmed text of an element; `undefined` when absent or empty. */
export function text(el: Element | undefined): string | undefined {
  const value = el?.textContent?.trim();
  return value ? value : undefined;
}

/** The text of the first element at `names` below `from`. */
export const textAt = (from: Element | undefined, ...names: string[]): string | undefined =>
  text(at(from, ...names));

/** `/FatturaElettronica/FatturaElettronicaBody[2]/DatiBeniServizi`: local names, positions from 1 when repeated. */
export function pathOf(el: Element): string {
  const steps: string[] = [];
  for (
    let node: Element | null = el;
    node && node.nodeType === ELEMENT;
    node = node.parentNode as Element | null
  ) {
    const parent = node.parentNode as Element | null;
    const name = node.localName ?? node.nodeName;
    if (parent && parent.nodeType === ELEMENT) {
      const same = children(parent, name);
      steps.push(same.length > 1 ? `${name}[${same.indexOf(node) + 1}]` : name);
    } else steps.push(name);
  }
  return `/${steps.reverse().join('/')}`;
}

/**
 * Where an element is: its line and column (from the parser's locator) and its path. Pass the
 * path when it is known (`pathOf` counts siblings: for each of 10 000 lines that is quadratic).
 */
export function locationOf(el: Element | undefined, path?: string): FindingLocation | undefined {
  if (!el) return undefined;
  const pos = el as unknown as { lineNumber?: number; columnNumber?: number };
  return { line: pos.lineNumber, column: pos.columnNumber, path: path ?? pathOf(el) };
}
