// `npm start`'s launcher (scripts/fleet.ts) for real: farm + console + a local agent paired through a
// one-time code, frames rendered and delivered, the agent linked to the console, and Ctrl-C stopping
// all three — agent first, so it logs out of the farm — with nothing left running.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const built = existsSync(join(import.meta.dirname, '..', '.next', 'BUILD_ID'));
if (!built)
  console.warn('fleet.test: SKIPPED — the console is not built (`pnpm --filter @flock/web build`).');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

function waitForOutput(output: () => string, pattern: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (pattern.test(output())) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(timer);
        reject(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${output().slice(-3000)}`));
      }
    }, 200);
  });
}

let fleet: ChildProcess | undefined;
afterEach(() => {
  if (fleet && fleet.exitCode === null) fleet.kill('SIGKILL');
});

describe.skipIf(!built)('npm start (scripts/fleet.ts)', () => {
  it('starts farm, console and a paired local agent that renders; Ctrl-C stops all three', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'flock-fleet-'));
    const [farmPort, consolePort] = [await freePort(), await freePort()];
    let output = '';
    fleet = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'fleet.ts')], {
      cwd: root,
      env: {
        ...process.env,
        FLOCK_DATA_DIR: dataDir,
        FLOCK_FARM_PORT: String(farmPort),
        FLOCK_CONSOLE_PORT: String(consolePort),
        FLOCK_QUIET: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    fleet.stdout?.on('data', (chunk) => (output += chunk));
    fleet.stderr?.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => fleet?.on('exit', (code) => resolve(code)));

    await waitForOutput(() => output, /\[console\].*link .*: connected/, 90_000);
    await waitForOutput(() => output, /\[farm\].*frame validated/, 120_000);
    expect(statSync(join(dataDir, 'agent', 'console-link.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'agent', 'agent.json')).mode & 0o777).toBe(0o600);
    expect(output).not.toMatch(/password["=:]\s*"?demo/);

    fleet.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toMatch(/\[agent\].*logged out/);
    expect(output).toMatch(/\[farm\].*session logged out/);
    expect(output).toMatch(/\[console\].*disconnected/);
  }, 240_000);
});
