import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { pino } from 'pino';
import ts from 'typescript';
import { deriveCtx, makeCtx, systemCtx, type Actor } from '../../server/domain/context.js';

/**
 * One context factory: every adapter (pages, API, sockets, jobs, inbound mail, command line,
 * seed, benches, test helpers) gets its `Ctx` from `makeCtx` in server/domain/context.ts. This
 * reads the whole project with the type checker and refuses any object literal written as a
 * `Ctx` (by its declared type, or by having the context's shape) outside that file.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const contextFile = path.join(root, 'server/domain/context.ts');

interface Found {
  file: string;
  line: number;
  text: string;
}

let programOnce: ts.Program | undefined;
function project(): { program: ts.Program; checker: ts.TypeChecker } {
  if (!programOnce) {
    const config = ts.readConfigFile(path.join(root, 'tsconfig.json'), (f) => ts.sys.readFile(f));
    const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
    programOnce = ts.createProgram(parsed.fileNames, { ...parsed.options, noEmit: true });
  }
  return { program: programOnce, checker: programOnce.getTypeChecker() };
}

const ownFiles = (program: ts.Program): ts.SourceFile[] =>
  program.getSourceFiles().filter((s) => {
    const file = path.resolve(s.fileName);
    return file.startsWith(root + path.sep) && !file.includes(`${path.sep}node_modules${path.sep}`);
  });

const declaredIn = (symbol: ts.Symbol | undefined, file: string): boolean =>
  (symbol?.declarations ?? []).some((d) => path.resolve(d.getSourceFile().fileName) === file);

function ctxLiterals(): Found[] {
  const { program, checker } = project();
  const isCtxType = (type: ts.Type | undefined): boolean => {
    if (!type) return false;
    if (type.isUnion()) return type.types.some(isCtxType);
    const symbol = type.getSymbol() ?? type.aliasSymbol;
    return symbol?.getName() === 'Ctx' && declaredIn(symbol, contextFile);
  };
  const isCtxInit = (type: ts.Type | undefined): boolean =>
    type?.getSymbol()?.getName() === 'CtxInit' && declaredIn(type.getSymbol(), contextFile);
  // The shape of a context built by hand without naming its type (what makeCtx is given is not one).
  const ctxShape = ['tenantId', 'actor', 'requestId', 'log'];
  const hasCtxShape = (node: ts.ObjectLiteralExpression): boolean =>
    !isCtxInit(checker.getContextualType(node)) &&
    ctxShape.every((name) => checker.getTypeAtLocation(node).getProperty(name) !== undefined);
  const found: Found[] = [];
  for (const source of ownFiles(program)) {
    const file = path.resolve(source.fileName);
    const visit = (node: ts.Node): void => {
      if (
        ts.isObjectLiteralExpression(node) &&
        (isCtxType(checker.getContextualType(node)) || hasCtxShape(node))
      ) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
        found.push({
          file: path.relative(root, file),
          line: line + 1,
          text: node.getText(source).slice(0, 80),
        });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

/**
 * Domain functions that adapters may call without a context, each for a reason: they establish
 * who is acting (no actor exists yet), or they present a row the caller already may see.
 */
const withoutCtx = new Set([
  'authenticateApiToken', // turns a bearer token into the API actor
  'profileForSession', // rebuilds the signed-in person from the session, before any context
  'slaView', // presents the SLA state of a ticket the caller already holds
  'toSummaries', // presents queue rows the caller already holds
  'ticketSummaryForEvent', // presents a changed ticket to the rooms allowed to see it
]);
const adapterDirs = ['server/http/', 'server/realtime/', 'server/inbound-mail/', 'server/cli/', 'jobs/'];

/** Calls from adapters to asynchronous domain functions whose first parameter is not a Ctx. */
function ctxlessDomainCalls(): string[] {
  const { program, checker } = project();
  const domainDir = path.join(root, 'server/domain') + path.sep;
  const out: string[] = [];
  for (const source of ownFiles(program)) {
    const rel = path.relative(root, path.resolve(source.fileName));
    if (!adapterDirs.some((dir) => rel.startsWith(dir))) continue;
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node)) {
        const signature = checker.getResolvedSignature(node);
        const declaration = signature?.getDeclaration();
        const file = declaration ? path.resolve(declaration.getSourceFile().fileName) : '';
        const name =
          declaration && 'name' in declaration && declaration.name ? declaration.name.getText() : '';
        const returnsPromise = signature
          ? checker.getReturnTypeOfSignature(signature).getSymbol()?.getName() === 'Promise'
          : false;
        if (file.startsWith(domainDir) && returnsPromise && !withoutCtx.has(name)) {
          const first = signature?.getParameters()[0];
          const firstType = first ? checker.getTypeOfSymbolAtLocation(first, node) : undefined;
          const isCtx =
            firstType?.getSymbol()?.getName() === 'Ctx' && declaredIn(firstType.getSymbol(), contextFile);
          if (!isCtx)
            out.push(
              `${rel}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1} ${name}`,
            );
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return out;
}

describe('one context factory (makeCtx)', function () {
  this.timeout(180_000);

  it('no file but server/domain/context.ts writes a Ctx object literal', () => {
    const found = ctxLiterals();
    const inContext = found.filter((f) => f.file === 'server/domain/context.ts');
    const elsewhere = found
      .filter((f) => f.file !== 'server/domain/context.ts')
      .map((f) => `${f.file}:${f.line} ${f.text}`);
    // The check sees the one literal it allows (makeCtx's own), so it would see any other.
    expect(inContext).to.have.length.greaterThan(0);
    expect(elsewhere).to.deep.equal([]);
  });

  it('every asynchronous domain function an adapter calls takes ctx first', () => {
    expect(ctxlessDomainCalls()).to.deep.equal([]);
  });

  const log = pino({ level: 'silent' });
  const person: Actor = {
    kind: 'user',
    userId: 'u1',
    email: 'chiara@acme.example',
    name: 'Chiara',
    role: 'client_user',
    tenantId: 't1',
    tenantIds: ['t1'],
    locale: 'it',
  };

  it('makeCtx keeps what the adapter knows, and an address only when there is one', () => {
    const ctx = makeCtx({ tenantId: 't1', actor: person, requestId: 'r1', log, ip: '10.0.0.1' });
    expect([ctx.tenantId, ctx.actor, ctx.requestId, ctx.ip, ctx.log]).to.deep.equal([
      't1',
      person,
      'r1',
      '10.0.0.1',
      log,
    ]);
    expect(
      makeCtx({ tenantId: null, actor: { kind: 'anonymous' }, requestId: 'r2', log }),
    ).to.not.have.property('ip');
    expect(
      makeCtx({ tenantId: null, actor: { kind: 'anonymous' }, requestId: 'r3', log, logFields: { x: 1 } })
        .log,
    ).to.not.equal(log);
  });

  it('systemCtx and deriveCtx are built on it: same request id and address, new actor or tenant', () => {
    const system = systemCtx(log, 'cli:test', 'sys-1');
    expect([system.tenantId, system.requestId, system.actor]).to.deep.equal([
      null,
      'sys-1',
      { kind: 'system', name: 'cli:test' },
    ]);
    const base = makeCtx({
      tenantId: null,
      actor: { kind: 'system', name: 'mail.intake' },
      requestId: 'smtp-1',
      log,
      ip: '10.0.0.2',
    });
    const sender = deriveCtx(base, { actor: person, tenantId: 't1' });
    expect([sender.tenantId, sender.actor, sender.requestId, sender.ip, sender.log]).to.deep.equal([
      't1',
      person,
      'smtp-1',
      '10.0.0.2',
      log,
    ]);
    const system2 = deriveCtx(sender, { actor: { kind: 'system', name: 'mail intake' } });
    expect([system2.tenantId, system2.requestId, system2.actor.kind]).to.deep.equal([
      't1',
      'smtp-1',
      'system',
    ]);
  });
});
