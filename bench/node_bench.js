// Node EDI parsers on the benchmark's interchanges.
//
//   node node_bench.js edifact FILE [REPS]   the `edifact` package (tdecaluwe/node-edifact)
//   node node_bench.js x12 FILE [REPS]       the `node-x12` package
//
// Both do syntax only: no mapping to documents, no message validation
// (node-edifact's Validator is used with no segment definitions). Each pass
// decodes the bytes as UTF-8 and parses the whole interchange; every
// component (EDIFACT) or element (X12) is touched. Prints
// "RESULT name MB/s segments/s".
'use strict';
const fs = require('fs');

function edifactPass(buf) {
  const Parser = require('edifact/parser.js');
  const parser = new Parser();
  // The file is UNOW (UTF-8); UNOY is the package's full-Unicode level.
  parser.encoding('UNOY');
  let segments = 0, messages = 0, chars = 0;
  parser.on('opensegment', (name) => {
    segments++;
    if (name === 'UNH') messages++;
  });
  parser.on('component', (data) => { chars += data.length; });
  parser.write(buf.toString('utf8'));
  parser.end();
  return { messages, segments, chars };
}

function x12Pass(buf) {
  const { X12Parser } = require('node-x12');
  const interchange = new X12Parser(true).parse(buf.toString('utf8'));
  let segments = 2, messages = 0, chars = 0;
  for (const group of interchange.functionalGroups) {
    segments += 2;
    for (const tx of group.transactions) {
      messages++;
      segments += 2;
      for (const seg of tx.segments) {
        segments++;
        for (const el of seg.elements) chars += el.value.length;
      }
    }
  }
  return { messages, segments, chars };
}

function main() {
  const [kind, file, repsArg] = process.argv.slice(2);
  const reps = Number(repsArg || 3);
  const pass = kind === 'edifact' ? edifactPass : kind === 'x12' ? x12Pass : null;
  if (!pass || !file) {
    console.error('usage: node node_bench.js edifact|x12 FILE [REPS]');
    process.exit(2);
  }
  const name = kind === 'edifact' ? 'node-edifact' : 'node-x12';
  const buf = fs.readFileSync(file);
  const times = [];
  let seen;
  for (let i = 0; i < reps; i++) {
    const start = process.hrtime.bigint();
    seen = pass(buf);
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  times.sort((a, b) => a - b);
  const med = times[Math.floor(times.length / 2)];
  const mbps = buf.length / med / 1e6;
  console.error(`${name}: ${buf.length} bytes, ${seen.messages} messages, ${seen.segments} segments, ` +
    `median ${med.toFixed(2)} s of ${reps}: ${mbps.toFixed(2)} MB/s, ${(seen.messages / med).toFixed(0)} messages/s`);
  console.log(`RESULT ${name} ${mbps.toFixed(3)} ${(seen.messages / med).toFixed(0)}`);
}

main();
