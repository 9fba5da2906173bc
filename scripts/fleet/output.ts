// Every line the fleet shows carries the name of the process it came from, e.g. `[farm] …`.
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export function say(line: string): void {
  console.log(`[fleet] ${line}`);
}

/** Shows a child's stdout and stderr line by line, each line prefixed with `[name]`. */
export function showOutput(name: string, child: ChildProcess): void {
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', (line) => console.log(`[${name}] ${line}`));
  }
}

/** "12 s", "3 min 5 s": how long something ran. */
export function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}
