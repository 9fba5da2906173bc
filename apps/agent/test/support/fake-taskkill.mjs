#!/usr/bin/env node
// Stands in for Windows' `taskkill.exe` in tests on Linux: appends its argv (JSON) to FAKE_TASKKILL_LOG,
// then ends what `taskkill /PID <pid> /T /F` would end — the process and its descendants, at once —
// which on Linux is the process group the render runner started Blender in (SIGKILL).
import { appendFileSync } from 'node:fs';

const args = process.argv.slice(2);
if (process.env.FAKE_TASKKILL_LOG) appendFileSync(process.env.FAKE_TASKKILL_LOG, `${JSON.stringify(args)}\n`);
const pid = Number(args[args.indexOf('/PID') + 1]);
try {
  process.kill(-pid, 'SIGKILL');
} catch {
  process.exit(128);
}
