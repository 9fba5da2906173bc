// The sandbox farm for the agent benchmarks, in its own process (its event loop and RSS are not the
// agent's): synthetic renderer, account demo/demo. Prints one JSON line { url, project } and runs
// until its stdin closes.
//   farm-process.ts --data DIR [--frames N] [--render-ms MS]
//                   [--archive FILE --archive-md5 MD5 --archive-password PW]
// With --frames 0 the farm has no project (an idle agent gets "no job"). With --archive the
// project's archive is replaced by FILE (e.g. a 1 GiB fixture): the agent downloads it in full.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startFarm } from '../../apps/farm/src/index.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    frames: { type: 'string', default: '50' },
    'render-ms': { type: 'string', default: '1' },
    archive: { type: 'string' },
    'archive-md5': { type: 'string' },
    'archive-password': { type: 'string' },
  },
});
if (!values.data) throw new Error('farm-process: --data DIR is required');

const farm = await startFarm({
  dataDir: values.data,
  renderer: 'synthetic',
  logLevel: 'warn',
  logSink: (line) => process.stderr.write(`[farm] ${line}\n`),
});
const frames = Number(values.frames);
const archive = values.archive
  ? {
      file: path.resolve(values.archive),
      md5: values['archive-md5'] ?? '',
      password: values['archive-password'] ?? '',
    }
  : undefined;
const project =
  frames > 0
    ? await farm.addProject({
        frames: [1, frames],
        resolution: [64, 48],
        samples: 4,
        synthetic: { renderMs: Number(values['render-ms']) },
        ...(archive ? { archive } : {}),
      })
    : undefined;
console.log(JSON.stringify({ url: farm.url, project }));
process.stdin.resume();
process.stdin.on('end', () => void farm.close().then(() => process.exit(0)));
