// The agent side of the download benchmark, in its own process so its RSS is the agent's:
// downloadFile (one-pass MD5) then extractArchive, exactly as a job does. Prints JSON.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { extractArchive } from '../../apps/agent/src/archive/index.js';
import { createDispatcher, downloadFile } from '../../apps/agent/src/download/index.js';
import { peakRssFromProc } from './lib.js';

const [url, md5, workDir, password] = process.argv.slice(2) as [string, string, string, string];
const zipPath = path.join(workDir, `${md5}.zip`);
const idleRss = process.memoryUsage.rss();
let downloadPeakRss = 0;
let downloadPeakArrayBuffers = 0;
const sampler = setInterval(() => {
  const usage = process.memoryUsage();
  downloadPeakRss = Math.max(downloadPeakRss, usage.rss);
  downloadPeakArrayBuffers = Math.max(downloadPeakArrayBuffers, usage.arrayBuffers);
}, 50);

const dispatcher = createDispatcher();
const started = performance.now();
await downloadFile({ url, destination: zipPath, md5, dispatcher });
const downloaded = performance.now();
clearInterval(sampler);
downloadPeakRss = Math.max(downloadPeakRss, process.memoryUsage.rss());
await extractArchive(zipPath, path.join(workDir, md5), { password });
const extracted = performance.now();
await dispatcher.close();
rmSync(zipPath);
console.log(
  JSON.stringify({
    downloadMs: downloaded - started,
    extractMs: extracted - downloaded,
    totalMs: extracted - started,
    idleRss,
    downloadPeakRss,
    downloadPeakArrayBuffers,
    overallPeakRss: peakRssFromProc(),
  }),
);
