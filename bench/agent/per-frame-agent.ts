// The agent side of the per-frame benchmark, in its own process: the real Agent (farm loop,
// downloads, extraction, the Blender render port, uploads, heartbeat, state file) against a farm,
// with --max-frames N and no speed test. Prints JSON: when each frame was delivered, and the job
// of the first render (so the harness can run the same renderer with the same arguments).
//   per-frame-agent.mjs SERVER_URL CACHE_DIR FRAMES

import { Agent } from '../../apps/agent/src/agent.js';
import { toSettings } from '../../apps/agent/src/config/index.js';
import { createBlenderRenderPort } from '../../apps/agent/src/farm/render-adapter.js';
import { testMachineFacts } from '../../apps/agent/testing/index.js';
import type { Job } from '../../packages/protocol/src/index.js';

const [server, cacheDir, frames] = process.argv.slice(2) as [string, string, string];
const blender = createBlenderRenderPort();
let firstJob: { job: Job; rendererDir: string } | undefined;
const created = performance.now();
const agent = await Agent.create({
  settings: toSettings({
    server,
    login: 'demo',
    password: 'demo',
    'cache-dir': cacheDir,
    'max-frames': frames,
  }),
  skipSpeedtest: true,
  machine: testMachineFacts('bench-agent', { name: 'Bench CPU', cores: 2 }),
  hwid: 'bench-hwid',
  render: (request) => {
    firstJob ??= { job: request.job, rendererDir: request.rendererDir };
    return blender(request);
  },
});
const delivered: number[] = [];
const started = performance.now();
let loggedIn: number | undefined;
/** Worker / job-phase transitions (ms since run start), for finding where a frame's time goes. */
const trace: [number, string][] = [];
agent.onChange(() => {
  const state = agent.store;
  const step = `${state.local.worker}/${state.state.job?.phase ?? '-'}/${state.state.uploads.queued + state.state.uploads.inFlight}`;
  if (trace.at(-1)?.[1] !== step) trace.push([performance.now() - started, step]);
  if (loggedIn === undefined && state.state.session?.connected) loggedIn = performance.now();
  while (delivered.length < state.local.framesDelivered) delivered.push(performance.now());
});
const cpu = process.cpuUsage();
const code = await agent.run();
const ended = performance.now();
const { user, system } = process.cpuUsage(cpu);
const ms = (at: number | undefined) => (at === undefined ? null : at - started);
console.log(
  JSON.stringify({
    code,
    createMs: started - created,
    loggedInMs: ms(loggedIn),
    deliveredMs: delivered.map((at) => at - started),
    runMs: ended - started,
    /** CPU time of the agent process itself (renderers excluded) during run(). */
    cpuMs: (user + system) / 1000,
    firstJob,
    trace,
  }),
);
