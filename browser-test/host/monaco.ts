/// <reference types="vite/client" />
// Grafana bundles Monaco into its own frontend (@grafana/ui's CodeEditor
// imports monaco-editor and hands it to @monaco-editor/react's loader, so
// nothing is fetched from a CDN) and tells Monaco where its web workers
// are. This host page bundles the same @grafana/ui, so it does the same:
// the editor's worker and the JSON language's (validation, folding), built
// from node_modules/monaco-editor by vite and served with the page.
import EditorWorker from 'monaco-editor/esm/vs/editor/editor.worker?worker';
import JsonWorker from 'monaco-editor/esm/vs/language/json/json.worker?worker';

(self as unknown as { MonacoEnvironment: { getWorker(id: string, label: string): Worker } }).MonacoEnvironment = {
  getWorker: (_id, label) => (label === 'json' ? new JsonWorker() : new EditorWorker()),
};
