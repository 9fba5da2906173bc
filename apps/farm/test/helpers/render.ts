import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildBlenderArgv, type Job, setComputeDeviceCall } from '@flock/protocol';
import type { TestClient } from './client';

export const run = promisify(execFile);

/**
 * Does by hand what an agent does with a job: download both archives, unzip them (Debian unzip /
 * 7zz), write the script with the client's compute-device call, run `rend.exe` with the farm's
 * command line, and return the output frame.
 */
export async function renderJobByHand(client: TestClient, job: Job, workDir: string): Promise<Buffer> {
  const rendererDir = join(workDir, job.renderer.md5);
  const projectDir = join(workDir, job.archiveMd5);
  await mkdir(workDir, { recursive: true });
  const rendererZip = join(workDir, `${job.renderer.md5}.zip`);
  const projectZip = join(workDir, `${job.archiveMd5}.zip`);
  await writeFile(rendererZip, (await client.download('binary', job.id)).bytes);
  await writeFile(projectZip, (await client.download('job', job.id)).bytes);
  await run('unzip', ['-q', '-o', rendererZip, '-d', rendererDir]);
  await run('7zz', ['x', '-y', `-p${job.password}`, `-o${projectDir}`, projectZip]);
  const script = join(workDir, 'script_1');
  await writeFile(script, `${job.script}\n${setComputeDeviceCall({ family: 'CPU' })}\n`);
  const argv = buildBlenderArgv({
    commandline: job.renderer.commandline,
    rendererPath: join(rendererDir, 'rend.exe'),
    blendPath: join(projectDir, job.path),
    scriptPath: script,
    outputPrefix: join(workDir, `${job.id}_`),
    frame: job.frame,
  });
  const [executable = '', ...args] = argv;
  await run(executable, args, { env: { ...process.env, TEMP: workDir }, timeout: 120_000 });
  const output = (await readdir(workDir)).find((name) => name.startsWith(`${job.id}_${job.frame}.`));
  if (!output) throw new Error(`rend.exe wrote no ${job.id}_${job.frame}.* in ${workDir}`);
  return readFile(join(workDir, output));
}
