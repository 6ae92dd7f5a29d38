/**
 * Functions over MAX_LINES lines in server/ (issue 15: the exception, each with a reason).
 *
 *   npx tsx scripts/long-functions.ts            # list them
 *   npx tsx scripts/long-functions.ts --check    # exit 1 when one has no reason
 *
 * A reason is a `// Long function: <why>` line comment right above the function (or above the
 * statement that holds it). Nested functions are measured on their own and inside their parent.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const MAX_LINES = 80;
const ROOT = join(import.meta.dirname, '..');
const REASON = /\/\/\s*Long function:\s*(\S.*)$/;

function* tsFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* tsFiles(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) yield path;
  }
}

function nameOf(node: ts.Node): string {
  const named = node as { name?: ts.Node };
  if (named.name && ts.isIdentifier(named.name)) return named.name.text;
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (ts.isCallExpression(parent)) {
    const callee = parent.expression;
    const called = ts.isPropertyAccessExpression(callee) ? callee.name.text : callee.getText().slice(0, 30);
    const first = parent.arguments[0];
    return `(callback of ${called}${first && ts.isStringLiteral(first) ? ` '${first.text}'` : ''})`;
  }
  return '(anonymous)';
}

/** The reason comment above the function, or above the statement holding it. */
function reasonOf(node: ts.Node, source: ts.SourceFile): string | null {
  for (let n: ts.Node | undefined = node; n && !ts.isSourceFile(n); n = n.parent) {
    for (const range of ts.getLeadingCommentRanges(source.text, n.getFullStart()) ?? []) {
      const m = REASON.exec(source.text.slice(range.pos, range.end));
      if (m) return m[1] as string;
    }
    if (ts.isStatement(n) || ts.isClassElement(n)) break;
  }
  return null;
}

interface LongFunction {
  at: string;
  name: string;
  lines: number;
  reason: string | null;
}

const found: LongFunction[] = [];
for (const file of tsFiles(join(ROOT, 'server'))) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && (node as { body?: ts.Node }).body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line + 1;
      const lines = end - start + 1;
      if (lines > MAX_LINES)
        found.push({
          at: `${relative(ROOT, file)}:${start}`,
          name: nameOf(node),
          lines,
          reason: reasonOf(node, source),
        });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

found.sort((a, b) => b.lines - a.lines);
const out = found.map(
  (f) => `${String(f.lines).padStart(4)}  ${f.at}  ${f.name}  ${f.reason ?? '(no reason given)'}`,
);
const missing = found.filter((f) => !f.reason);
out.push(`${found.length} functions over ${MAX_LINES} lines, ${missing.length} without a reason`);
process.stdout.write(out.join('\n') + '\n');
if (process.argv.includes('--check') && missing.length) process.exitCode = 1;
