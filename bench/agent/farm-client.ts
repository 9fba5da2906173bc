// Starts farm-process.ts (the sandbox farm in its own process) and waits for its { url, project }.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { tsx } from './lib.js';

export interface FarmProcess {
  url: string;
  project: { id: number; archiveMd5: string; archivePassword: string } | undefined;
  stop(): Promise<void>;
}

export function startFarmProcess(dataDir: string, args: string[] = []): Promise<FarmProcess> {
  const script = path.join(import.meta.dirname, 'farm-process.ts');
  const child = spawn(tsx, [script, '--data', dataDir, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.stdin.end();
    });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the farm process exited with ${code}`)));
    createInterface({ input: child.stdout }).once('line', (line) => {
      const { url, project } = JSON.parse(line) as Omit<FarmProcess, 'stop'>;
      resolve({ url, project, stop });
    });
  });
}
