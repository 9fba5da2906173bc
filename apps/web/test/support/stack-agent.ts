// The real agent for the end-to-end test: starts a sandbox farm whose project is the farm's demo scene
// rendered by real Blender (64×48, 8 samples, denoising off), pairs a real agent with the console
// using a one-time code (or, started again with the same --config-dir, keeps the pairing it has: the
// same machine comes back), links it and runs it. Reports JSON lines on stdout:
//   { event: 'link', status }
//   { event: 'farm', done, jobs, assigned: [job ids], validated: [job ids], requests }
//   { event: 'job-request', n, cores, computeMethod, memoryKiB, gpu, status, jobId }  (as the farm saw it)
//   { event: 'limits', cores, requestsBefore }  (the moment the agent's limits change)
//   node --import tsx test/support/stack-agent.ts --console URL --code CODE --name NAME
//        --config-dir DIR --blender PATH [--frames N] [--farm-password P]   (--code is ignored once paired)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, loadLinkCredentials, pair, startConsoleLink, toSettings } from 'flock-agent';
import { testMachineFacts } from 'flock-agent/testing';
import { DEMO_SCENE, generateDemoBlend, startFarm } from 'flock-farm';

const { values } = parseArgs({
  options: {
    console: { type: 'string' },
    code: { type: 'string' },
    name: { type: 'string', default: 'stack-agent' },
    'config-dir': { type: 'string' },
    blender: { type: 'string' },
    frames: { type: 'string', default: '60' },
    'farm-password': { type: 'string', default: 'demo' },
  },
});
if (!values.console || !values['config-dir'] || !values.blender) {
  console.error(
    'usage: stack-agent --console URL [--code CODE, unless DIR holds a pairing] --config-dir DIR --blender PATH [--name NAME] [--frames N] [--farm-password P]',
  );
  process.exit(2);
}
const report = (event: string, detail: object = {}) => console.log(JSON.stringify({ event, ...detail }));
const temp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

const farm = await startFarm({
  dataDir: temp('flock-e2e-farm-'),
  renderer: 'blender',
  blender: values.blender,
  accounts: [{ login: 'e2e-sheep', password: values['farm-password'] }],
  logLevel: 'warn',
  logSink: () => {},
});
// The demo scene, with as many frames as the test asks for, so the agent is still busy when the test
// changes its limits (frames past the scene's end render the last pose).
const blendFile = join(temp('flock-e2e-scene-'), 'e2e.blend');
await generateDemoBlend(values.blender, blendFile);
const project = await farm.addProject({
  blendFile,
  name: 'E2E: turning cube',
  engine: 'CYCLES',
  samples: DEMO_SCENE.samples,
  frames: [1, Number(values.frames)],
});
if (!(await loadLinkCredentials(values['config-dir']))) {
  if (!values.code) throw new Error(`no pairing in ${values['config-dir']}: --code is needed`);
  await pair(values.console, values.code, { configDir: values['config-dir'], hostname: values.name });
}

const settings = toSettings({
  server: farm.url,
  login: 'e2e-sheep',
  password: values['farm-password'],
  'cache-dir': temp('flock-e2e-cache-'),
});
const agent = await Agent.create({
  settings,
  skipSpeedtest: true,
  machine: testMachineFacts(values.name, { name: 'E2E CPU', cores: 4 }),
  // Each named machine is its own hardware: the console would otherwise take a new pairing for the
  // earlier machine paired again and give it that machine's name.
  hwid: `e2e-hwid-${values.name}`,
});
let cores = agent.controls.limits.cores;
agent.controls.on('change', () => {
  if (agent.controls.limits.cores === cores) return;
  cores = agent.controls.limits.cores;
  report('limits', { cores, requestsBefore: farm.jobRequests().length });
});
const link = await startConsoleLink(agent, { configDir: values['config-dir'], agentVersion: 'e2e' });
link?.onStatus((status) => report('link', { status }));
const run = agent.run();

let lastFarm = '';
let requestsReported = 0;
const watcher = setInterval(() => {
  const requests = farm.jobRequests();
  for (const request of requests.slice(requestsReported)) {
    const { cores, computeMethod, memoryKiB, gpu, status, jobId } = request;
    report('job-request', { n: ++requestsReported, cores, computeMethod, memoryKiB, gpu, status, jobId });
  }
  const jobs = farm.jobs();
  const ids = (state: string) => jobs.filter((job) => job.state === state).map((job) => job.id);
  const done = farm.frames(project.id).filter((frame) => frame.state === 'done').length;
  const now = { done, jobs: jobs.length, assigned: ids('assigned'), validated: ids('validated') };
  if (JSON.stringify(now) === lastFarm) return;
  lastFarm = JSON.stringify(now);
  report('farm', { ...now, requests: requests.length });
}, 100);

const stop = async () => {
  clearInterval(watcher);
  await agent.execute({ type: 'stop', when: 'now' });
  await Promise.race([run, new Promise((resolve) => setTimeout(resolve, 5000))]);
  await link?.stop();
  await farm.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
