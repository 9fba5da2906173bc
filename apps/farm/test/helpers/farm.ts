import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { type RunningFarm, type StartFarmOptions, startFarm } from '../../src/index';

/** A farm on a random port in a fresh data dir, synthetic renderer, quiet log; `close` removes it all. */
export async function testFarm(
  options: Partial<StartFarmOptions> = {},
): Promise<RunningFarm & { logs: string[] }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'flock-farm-test-'));
  const logs: string[] = [];
  const farm = await startFarm({
    dataDir,
    renderer: 'synthetic',
    logLevel: 'debug',
    logSink: (line) => logs.push(line),
    ...options,
  });
  return {
    ...farm,
    logs,
    close: async () => {
      await farm.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A real PNG of the given size. */
export function png(width: number, height: number): Buffer {
  const image = new PNG({ width, height });
  image.data.fill(128);
  return PNG.sync.write(image);
}
