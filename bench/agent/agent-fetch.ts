// The agent side of the download benchmark, in its own process so its RSS is the agent's:
// downloadFile (one-pass MD5) then extractArchive, exactly as a job does. Prints JSON.
// With `--undici-only` it just reads the body with undici and drops it: the RSS reference for
// what the HTTP client alone costs at this speed.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { extractArchive } from '../../apps/agent/src/archive/index.js';
import { createDispatcher, downloadFile } from '../../apps/agent/src/download/index.js';
import { procMemoryBytes } from './lib.js';

const [url, md5, workDir, password, mode] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string?,
];
const zipPath = path.join(workDir, `${md5}.zip`);
const idleRss = process.memoryUsage.rss();
let downloadPeakRss = 0;
let downloadPeakArrayBuffers = 0;
const sample = () => {
  const usage = process.memoryUsage();
  downloadPeakRss = Math.max(downloadPeakRss, usage.rss);
  downloadPeakArrayBuffers = Math.max(downloadPeakArrayBuffers, usage.arrayBuffers);
};
const sampler = setInterval(sample, 50);

const dispatcher = createDispatcher();
const started = performance.now();
if (mode === '--undici-only') {
  const { origin, pathname } = new URL(url);
  const response = await dispatcher.request({ origin, path: pathname, method: 'GET' });
  for await (const _chunk of response.body) {
    // dropped
  }
} else {
  await downloadFile({ url, destination: zipPath, md5, dispatcher });
}
const downloaded = performance.now();
clearInterval(sampler);
sample();
if (mode !== '--undici-only') {
  await extractArchive(zipPath, path.join(workDir, md5), { password });
  rmSync(zipPath);
}
const extracted = performance.now();
await dispatcher.close();
console.log(
  JSON.stringify({
    downloadMs: downloaded - started,
    extractMs: extracted - downloaded,
    totalMs: extracted - started,
    idleRss,
    downloadPeakRss,
    downloadPeakArrayBuffers,
    overallPeakRss: procMemoryBytes('self', 'VmHWM'),
  }),
);
