// @vitest-environment node
import { resolve } from 'node:path';

import { findCycles, importGraph, runtimeImports } from './importGraph';

const SRC = resolve(__dirname, '..');

describe('runtimeImports', () => {
  it.each([
    { name: 'a value import that is used', source: "import { f } from './a';\nf();", want: ['./a'] },
    { name: 'an import used only as a type', source: "import { Query } from './types';\nexport let q: Query;", want: [] },
    { name: 'import type', source: "import type { DataSource } from './datasource';\nexport let d: DataSource;", want: [] },
    { name: 'inline type names beside a value', source: "import { type Q, f } from './a';\nexport const g: Q = f();", want: ['./a'] },
    { name: 'a side-effect import', source: "import './boot';", want: ['./boot'] },
    { name: 'a re-export', source: "export { f } from './a';\nexport * from './b';", want: ['./a', './b'] },
    { name: 'JSX through the automatic runtime', source: "import { Editor } from './Editor';\nexport const e = <Editor />;", want: ['react/jsx-runtime', './Editor'] },
  ])('$name', ({ source, want }) => {
    expect(runtimeImports(source, 'file.tsx')).toEqual(want);
  });
});

describe('findCycles', () => {
  it.each([
    { name: 'no cycle', graph: { a: ['b', 'c'], b: ['c'], c: [] }, want: [] },
    { name: 'two modules', graph: { b: ['a'], a: ['b'] }, want: [['a', 'b', 'a']] },
    { name: 'three modules, from the first by name', graph: { c: ['a'], a: ['b'], b: ['c'], d: ['c'] }, want: [['a', 'b', 'c', 'a']] },
    { name: 'a module importing itself', graph: { a: ['a'] }, want: [['a', 'a']] },
    {
      name: 'two separate cycles',
      graph: { annotations: ['editor'], editor: ['annotations'], variables: ['vEditor'], vEditor: ['variables'] },
      want: [['annotations', 'editor', 'annotations'], ['vEditor', 'variables', 'vEditor']],
    },
  ])('$name', ({ graph, want }) => {
    expect(findCycles(new Map(Object.entries(graph)))).toEqual(want);
  });
});

describe("src/'s modules", () => {
  const graph = importGraph(SRC);

  it('are all read, with the imports that remain at run time', () => {
    expect(graph.get('module.ts')).toContain('datasource.ts');
    expect(graph.get('datasource.ts')).toEqual(expect.arrayContaining(['annotations.ts', 'variables.ts', 'types.ts']));
    // The editors use the data source's type only.
    expect(graph.get('components/QueryEditor.tsx')).not.toContain('datasource.ts');
  });

  // A cycle makes a module run before the one it imports has finished: an
  // imported class or component is still undefined at that moment. Move
  // what both sides need into a module of its own, as annotationQuery.ts.
  it('import one another in no cycle', () => {
    expect(findCycles(graph).map((c) => c.join(' → '))).toEqual([]);
  });
});
