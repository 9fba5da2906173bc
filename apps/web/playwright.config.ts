import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from '@playwright/test';

const PORT = Number(process.env.FLOCK_E2E_PORT ?? 3217);
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const E2E_ADMIN_PASSWORD = 'e2e admin password';
/** The real agent's SheepIt (sandbox farm) password: it must never reach the browser. */
export const E2E_FARM_PASSWORD = 'e2e farm password 7f3a';
export const BLENDER = process.env.BLENDER_PATH ?? '/usr/bin/blender';

if (!existsSync(CHROMIUM)) {
  console.warn(
    `\n!!! Playwright e2e SKIPPED: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)\n`,
  );
}

if (!existsSync(BLENDER)) {
  console.warn(
    `\n!!! Playwright real-agent e2e SKIPPED: no Blender at ${BLENDER} (apt-get install blender, or set BLENDER_PATH)\n`,
  );
}

export default defineConfig({
  testDir: './e2e',
  outputDir: './test-results/e2e',
  timeout: 90_000,
  workers: 1,
  reporter: 'list',
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    browserName: 'chromium',
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
  webServer: existsSync(CHROMIUM)
    ? {
        command: `node --import tsx server.ts --port ${PORT} --data ${mkdtempSync(join(tmpdir(), 'flock-e2e-'))}`,
        url: `http://127.0.0.1:${PORT}/healthz`,
        env: {
          FLOCK_ADMIN_PASSWORD: E2E_ADMIN_PASSWORD,
          NODE_ENV: 'production',
          NEXT_TELEMETRY_DISABLED: '1',
        },
        reuseExistingServer: false,
        timeout: 60_000,
        stdout: 'pipe',
      }
    : undefined,
});
