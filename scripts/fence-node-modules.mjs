// Runs after every npm install (package.json's postinstall). Some npm
// packages ship Go code (flatted does); a go.mod in node_modules makes that
// folder a module of its own, so the project's `go test ./...`, `go vet
// ./...` and `go list ./...` see only the project's packages.
import { writeFileSync } from 'node:fs';

writeFileSync('node_modules/go.mod', 'module node_modules\n');
