#!/usr/bin/env node
// Checked-in launcher so the bin link exists before the first build; the code lives in dist/.
// A closed pipe (`intrnn pwl ... | head`) ends the command quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}
let cli;
try {
  cli = await import('../dist/main.js');
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
  process.stderr.write('intrnn: error: the command is not built yet; run `npm start` or `npm test` once (they install and build)\n');
  process.exit(2);
}
process.exitCode = await cli.main(process.argv.slice(2));
