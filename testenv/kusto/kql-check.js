// kql-check FILE: parses and semantically analyzes KQL queries with Microsoft's Kusto.Language
// (npm @kusto/language-service-next, the JavaScript build of the library behind Azure Data
// Explorer's and Log Analytics' editors) against the tables FILE declares. FILE is JSON:
//   {"tables": [{"name": "KubeEvents", "schema": "(TimeGenerated:datetime, ...)"}],
//    "queries": [{"name": "...", "kql": "..."}]}
// Prints every diagnostic of every query; exits 1 when any is an error.
'use strict';
const path = require('path');
const fs = require('fs');
const pkg = path.join(__dirname, 'node_modules', '@kusto', 'language-service-next');
require(path.join(pkg, 'bridge.min.js'));
require(path.join(pkg, 'Kusto.Language.Bridge.min.js'));
const K = global.Kusto.Language;
const S = K.Symbols;

if (process.argv.length !== 3) {
  console.error('usage: kql-check FILE');
  process.exit(2);
}
const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const tables = input.tables.map((t) => new S.TableSymbol.$ctor7(t.name, t.schema, ''));
const globals = K.GlobalState.Default.WithDatabase(new S.DatabaseSymbol.ctor('workspace', tables));
let failed = false;
for (const q of input.queries) {
  const diagnostics = K.KustoCode.ParseAndAnalyze(q.kql, globals).GetDiagnostics();
  const lines = [];
  for (let i = 0; i < diagnostics.Count; i++) {
    const d = diagnostics.getItem(i);
    if (d.Severity === 'Error') failed = true;
    lines.push(`  ${d.Severity}: ${d.Message} (at ${d.Start})`);
  }
  console.log(`${q.name}: ${lines.length ? 'diagnostics' : 'ok'}`);
  lines.forEach((l) => console.log(l));
}
process.exit(failed ? 1 : 0);
