#!/usr/bin/env node
// Stands in for `powershell.exe -NoExit -Command -` in tests that cannot run on Windows: it reads
// one command per line from stdin and answers each with a recorded Get-CimInstance output (the file
// named by FAKE_POWERSHELL_ANSWER, read again for every command, printed with CRLF line ends as
// PowerShell does), then the marker
// the command asked it to print last (`…; '<marker>'`). FAKE_POWERSHELL_MODE=exit-after-one exits
// after the first answer (a session that dies). Every command received is appended to
// FAKE_POWERSHELL_LOG when set.
import { appendFileSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const answer = () => readFileSync(process.env.FAKE_POWERSHELL_ANSWER ?? '', 'utf8').replace(/\r?\n/g, '\r\n');
let answered = 0;
createInterface({ input: process.stdin }).on('line', (line) => {
  if (process.env.FAKE_POWERSHELL_LOG) appendFileSync(process.env.FAKE_POWERSHELL_LOG, `${line}\n`);
  const marker = /; '([^']+)'$/.exec(line)?.[1];
  if (!marker) return;
  process.stdout.write(`${answer()}${marker}\r\n`);
  answered += 1;
  if (process.env.FAKE_POWERSHELL_MODE === 'exit-after-one' && answered === 1) process.exit(0);
});
