// The sandbox farm for the agent benchmarks, in its own process (its event loop and RSS are not the
// agent's): synthetic renderer, account demo/demo. Prints one JSON line { url, project } and runs
// until its stdin closes.
//   farm-process.ts --data DIR [--frames N] [--render-ms MS]
//                   [--archive FILE --archive-md5 MD5 --archive-password PW]
// With --frames 0 the farm has no project (an idle agent gets "no job"). With --archive the
// project's archive is replaced by FILE (e.g. a 1 GiB fixture): the agent downloads it in full.
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startFarm } from '../../apps/farm/src/index.js';

const farmDir = path.resolve(import.meta.dirname, '../../apps/farm');
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
const project =
  frames > 0
    ? await farm.addProject({
        frames: [1, frames],
        resolution: [64, 48],
        samples: 4,
        synthetic: { renderMs: Number(values['render-ms']) },
      })
    : undefined;
if (project && values.archive) {
  // The farm serves a project's archive from its row (an absolute path is allowed): point it at the
  // large fixture. A second SQLite connection is fine: the farm runs its database in WAL mode.
  const Database = createRequire(path.join(farmDir, 'package.json'))('better-sqlite3') as new (
    file: string,
  ) => { prepare(sql: string): { run(...args: unknown[]): unknown }; close(): void };
  const db = new Database(path.join(farm.dataDir, 'farm.sqlite'));
  db.prepare('UPDATE projects SET archive_file = ?, archive_md5 = ?, archive_password = ? WHERE id = ?').run(
    path.resolve(values.archive),
    values['archive-md5'],
    values['archive-password'],
    project.id,
  );
  db.close();
}
console.log(
  JSON.stringify({ url: farm.url, project: project && farm.projects().find((p) => p.id === project.id) }),
);
process.stdin.resume();
process.stdin.on('end', () => void farm.close().then(() => process.exit(0)));
