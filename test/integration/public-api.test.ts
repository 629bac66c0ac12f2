/**
 * The public API is complete: every type that a public signature of something `src/index.ts` exports names
 * (a parameter, a return type, a property, a base class) is exported too, so a user can write that type.
 * Read from the source with the TypeScript compiler, nothing built.
 */
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '../../src');
const INDEX = join(SRC, 'index.ts');

function publicApi(): { exported: Set<ts.Symbol>; checker: ts.TypeChecker; roots: ts.Symbol[]; values: string[] } {
  const program = ts.createProgram([INDEX], {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const index = program.getSourceFile(INDEX);
  const moduleSymbol = index === undefined ? undefined : checker.getSymbolAtLocation(index);
  if (moduleSymbol === undefined) throw new Error('src/index.ts did not load');
  const exports = checker.getExportsOfModule(moduleSymbol);
  const roots = exports.map((symbol) => resolved(checker, symbol));
  // Exported as values: not `export type` / `type X` in the export list, and a value behind it.
  const values = exports
    .filter((symbol) => !(symbol.declarations ?? []).some((d) => ts.isTypeOnlyExportDeclaration(d)))
    .filter((symbol) => resolved(checker, symbol).flags & ts.SymbolFlags.Value)
    .map((symbol) => symbol.name);
  return { exported: new Set(roots), checker, roots, values };
}

function resolved(checker: ts.TypeChecker, symbol: ts.Symbol): ts.Symbol {
  return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

function isPrivate(node: ts.Node): boolean {
  // `@internal` members are left out of the published .d.ts (tsconfig stripInternal).
  if (ts.getJSDocTags(node).some((tag) => tag.tagName.text === 'internal')) return true;
  const modifiers = ts.canHaveModifiers(node) ? ts.getModifiers(node) : undefined;
  if (modifiers?.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword)) return true;
  const name = (node as { name?: ts.Node }).name;
  return name !== undefined && ts.isPrivateIdentifier(name);
}

/** Type names written in the public parts of `node`: signatures, not bodies or initialisers. */
function typeReferences(node: ts.Node, found: ts.Node[]): void {
  if (isPrivate(node)) return;
  if (ts.isTypeReferenceNode(node) || ts.isExpressionWithTypeArguments(node)) found.push(ts.isTypeReferenceNode(node) ? node.typeName : node.expression);
  if (ts.isTypeQueryNode(node)) return; // `typeof x` names a value
  ts.forEachChild(node, (child) => {
    const parent = child.parent;
    const isBody = ts.isBlock(child) && (ts.isFunctionLike(parent) || ts.isClassStaticBlockDeclaration(parent));
    const isInitializer = (ts.isPropertyDeclaration(parent) || ts.isVariableDeclaration(parent) || ts.isParameter(parent)) && parent.initializer === child;
    if (!isBody && !isInitializer) typeReferences(child, found);
  });
}

describe('public API', () => {
  it('exports every type its public signatures name', () => {
    const { exported, checker, roots } = publicApi();
    const missing = new Set<string>();
    for (const root of roots) {
      for (const declaration of root.declarations ?? []) {
        if (!declaration.getSourceFile().fileName.startsWith(SRC)) continue;
        const references: ts.Node[] = [];
        typeReferences(declaration, references);
        for (const reference of references) {
          const symbol = checker.getSymbolAtLocation(reference);
          if (symbol === undefined) continue;
          const target = resolved(checker, symbol);
          const declaredIn = target.declarations?.[0]?.getSourceFile().fileName ?? '';
          if (declaredIn.startsWith(SRC) && !exported.has(target) && !(target.flags & ts.SymbolFlags.TypeParameter)) {
            missing.add(`${target.name} (named by ${root.name})`);
          }
        }
      }
    }
    expect([...missing].sort()).toEqual([]);
  });

  it('has one entry point: startNodeMetrics, not a side-effecting NodeMetrics constructor', () => {
    const { values } = publicApi();
    expect(values).toContain('startNodeMetrics');
    expect(values).not.toContain('NodeMetrics');
  });
});
