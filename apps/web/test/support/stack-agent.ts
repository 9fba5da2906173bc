// The real agent for the end-to-end test: starts a sandbox farm (synthetic renderer) with a small
// project, pairs a real agent with the console using a one-time code, links it and runs it. Reports
// JSON lines: { event: 'link', status }, { event: 'farm', done, jobs }, { event: 'limits', cores }.
//   node --import tsx test/support/stack-agent.ts --console URL --code CODE --name NAME --config-dir DIR
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startFarm } from 'flock-farm';
import { Agent } from '../../../agent/src/agent';
import { toSettings } from '../../../agent/src/config';
import { pair, startConsoleLink } from '../../../agent/src/link';

const { values } = parseArgs({
  options: {
    console: { type: 'string' },
    code: { type: 'string' },
    name: { type: 'string', default: 'stack-agent' },
    'config-dir': { type: 'string' },
    'render-ms': { type: 'string', default: '3000' },
  },
});
if (!values.console || !values.code || !values['config-dir']) {
  console.error('usage: stack-agent --console URL --code CODE --config-dir DIR [--name NAME]');
  process.exit(2);
}
const report = (event: string, detail: object = {}) => console.log(JSON.stringify({ event, ...detail }));
const temp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

const farm = await startFarm({
  dataDir: temp('flock-e2e-farm-'),
  renderer: 'synthetic',
  logLevel: 'warn',
  logSink: () => {},
});
const project = await farm.addProject({
  frames: [1, 6],
  resolution: [64, 48],
  synthetic: { renderMs: Number(values['render-ms']) },
});
await pair(values.console, values.code, { configDir: values['config-dir'], hostname: values.name });

const settings = toSettings({
  server: farm.url,
  login: 'demo',
  password: 'demo',
  'cache-dir': temp('flock-e2e-cache-'),
});
const agent = await Agent.create({
  settings,
  skipSpeedtest: true,
  machine: {
    os: 'linux',
    osVersion: 'linux debian gnu/linux 12',
    bits: '64bit',
    cpu: { family: '6', model: '158', name: 'E2E CPU', cores: 4 },
    ramKiB: 8 * 1024 * 1024,
    hostname: values.name,
    gpus: [],
  },
  hwid: 'e2e-hwid',
});
const link = await startConsoleLink(agent, { configDir: values['config-dir'], agentVersion: 'e2e' });
link?.onStatus((status) => report('link', { status }));
const run = agent.run();

let last = '';
const watcher = setInterval(() => {
  const now = JSON.stringify({
    done: farm.frames(project.id).filter((frame) => frame.state === 'done').length,
    jobs: farm.jobs().length,
    cores: agent.controls.limits.cores,
  });
  if (now === last) return;
  last = now;
  const { done, jobs, cores } = JSON.parse(now);
  report('farm', { done, jobs });
  report('limits', { cores });
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
