import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/**
 * The module specifiers a TypeScript file still imports once compiled: an
 * import whose names are used only as types is erased, as the bundler
 * erases it, so it cannot take part in a cycle at run time.
 */
export function runtimeImports(source: string, fileName: string): string[] {
  const js = ts.transpileModule(source, {
    fileName,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      jsx: ts.JsxEmit.ReactJSX,
      isolatedModules: true,
    },
  }).outputText;
  return ts.preProcessFile(js, true, true).importedFiles.map((f) => f.fileName);
}

const EXTENSIONS = ['', '.ts', '.tsx', '/index.ts', '/index.tsx'];

function resolveRelative(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  return EXTENSIONS.map((ext) => base + ext).find((p) => existsSync(p) && statSync(p).isFile());
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      return sourceFiles(path);
    }
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Each TypeScript file under root, by path relative to root, with the files under root it imports at run time. */
export function importGraph(root: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(root)) {
    const targets = runtimeImports(readFileSync(file, 'utf8'), file)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => resolveRelative(file, spec))
      .filter((p): p is string => p !== undefined)
      .map((p) => relative(root, p));
    graph.set(relative(root, file), [...new Set(targets)]);
  }
  return graph;
}

/**
 * Cycles of the graph as the paths that close them (a → b → a), each
 * starting at its alphabetically first module: none when the graph has
 * none, else at least one through every group of modules that reach one
 * another (a depth-first search's back edges; not every such path).
 */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles = new Map<string, string[]>();
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (node: string) => {
    const at = path.indexOf(node);
    if (at >= 0) {
      const loop = path.slice(at);
      const first = loop.indexOf([...loop].sort()[0]);
      const rotated = [...loop.slice(first), ...loop.slice(0, first)];
      cycles.set(rotated.join('\0'), [...rotated, rotated[0]]);
      return;
    }
    if (done.has(node)) {
      return;
    }
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      visit(next);
    }
    path.pop();
    done.add(node);
  };
  for (const node of [...graph.keys()].sort()) {
    visit(node);
  }
  return [...cycles.values()];
}
