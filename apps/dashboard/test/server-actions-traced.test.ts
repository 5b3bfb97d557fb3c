// Every server action is traced (issue #29): each export of a 'use server' file is
// `export const nameAction = tracedAction('<module>.<name>', async …)` (server/spans.ts), so a new
// action without its span fails here. Inline 'use server' functions are refused: they cannot be
// wrapped from outside, so they live in an actions file like the others.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [full] : [];
  });
}

const parse = (file: string) =>
  ts.createSourceFile(
    file,
    readFileSync(file, 'utf8'),
    ts.ScriptTarget.Latest,
    true,
    file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
  );

function isUseServer(statement: ts.Node | undefined): boolean {
  return (
    statement !== undefined &&
    ts.isExpressionStatement(statement) &&
    ts.isStringLiteral(statement.expression) &&
    statement.expression.text === 'use server'
  );
}

const hasExport = (node: ts.Node) =>
  ts.canHaveModifiers(node) &&
  (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);

/** What is wrong with each export of a 'use server' file (empty: all traced). */
function unwrappedExports(file: ts.SourceFile, module: string): string[] {
  const problems: string[] = [];
  for (const statement of file.statements) {
    if (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) continue;
    if (ts.isExportDeclaration(statement)) {
      if (!statement.isTypeOnly) problems.push(`export { … }: ${statement.getText().slice(0, 80)}`);
      continue;
    }
    if (ts.isExportAssignment(statement)) {
      problems.push('export default');
      continue;
    }
    if (!hasExport(statement)) continue;
    if (ts.isFunctionDeclaration(statement)) {
      problems.push(`${statement.name?.text ?? '(anonymous)'} is exported as a plain function`);
      continue;
    }
    if (!ts.isVariableStatement(statement)) {
      problems.push(`an export that is not an action: ${statement.getText().slice(0, 80)}`);
      continue;
    }
    for (const declaration of statement.declarationList.declarations) {
      const name = declaration.name.getText();
      const init = declaration.initializer;
      const call =
        init && ts.isCallExpression(init) && init.expression.getText() === 'tracedAction' ? init : undefined;
      const [spanName, action] = call?.arguments ?? [];
      const expected = `${module}.${name.replace(/Action$/, '')}`;
      if (!call || !spanName || !action) problems.push(`${name} is not tracedAction(…)`);
      else if (!ts.isStringLiteral(spanName) || spanName.text !== expected)
        problems.push(`${name}'s span is ${spanName.getText()}, expected '${expected}'`);
      else if (
        !(ts.isFunctionExpression(action) || ts.isArrowFunction(action)) ||
        !(ts.getModifiers(action) ?? []).some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)
      )
        problems.push(`${name} does not wrap an async function written in place`);
    }
  }
  return problems;
}

/** Functions with their own 'use server' directive (inline actions), by line. */
function inlineActions(file: ts.SourceFile): number[] {
  const lines: number[] = [];
  const visit = (node: ts.Node) => {
    if (
      (ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node) || ts.isArrowFunction(node)) &&
      node.body &&
      ts.isBlock(node.body) &&
      isUseServer(node.body.statements[0])
    )
      lines.push(file.getLineAndCharacterOfPosition(node.getStart()).line + 1);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return lines;
}

describe('server actions are traced', () => {
  const files = sourceFiles(src).map((full) => ({ rel: path.relative(src, full), file: parse(full) }));
  const actionFiles = files.filter(({ file }) => isUseServer(file.statements[0]));

  it('finds the action files', () => {
    expect(actionFiles.length).toBeGreaterThan(10);
    expect(actionFiles.every(({ rel }) => rel.startsWith('modules/'))).toBe(true);
  });

  it("wraps every export of every 'use server' file in tracedAction('<module>.<name>', …)", () => {
    const problems = actionFiles.flatMap(({ rel, file }) =>
      unwrappedExports(file, rel.split(path.sep)[1]!).map((p) => `${rel}: ${p}`),
    );
    expect(problems).toEqual([]);
  });

  it('has no inline server actions (they cannot be wrapped; export them from an actions file)', () => {
    const found = files.flatMap(({ rel, file }) => inlineActions(file).map((line) => `${rel}:${line}`));
    expect(found).toEqual([]);
  });

  it('checks itself: an unwrapped, a misnamed and a plain-function export are each caught', () => {
    const file = ts.createSourceFile(
      'x.ts',
      `'use server';
export type T = string;
export const goodAction = tracedAction('m.good', async function goodAction() {});
export const wrongAction = tracedAction('m.other', async () => {});
export const bareAction = async () => {};
export async function plainAction() {}`,
      ts.ScriptTarget.Latest,
      true,
    );
    expect(unwrappedExports(file, 'm')).toEqual([
      "wrongAction's span is 'm.other', expected 'm.wrong'",
      'bareAction is not tracedAction(…)',
      'plainAction is exported as a plain function',
    ]);
  });
});
