// A simulated agent for the end-to-end test and demos: pairs with a console using a one-time code,
// then "renders" frames through the real link client and reports what it receives as JSON lines.
// With --scenario it is a machine in trouble instead (farm unreachable, login refused as too old);
// the refused one renders once the console sets a client version for the fleet. Without --code it
// links with the credentials already in --config-dir (a restarted agent).
//   node --import tsx test/support/sim-agent.ts --console URL [--code CODE] --name NAME --config-dir DIR
//        [--scenario farm-unreachable|login-refused] [--version-id 0.1.0-0123456789ab]
//        [--step-ms 400] [--steps N] [--backlog N] [--rules] [--owner-cores N] [--cpu-celsius C]
// --version-id: it says it is that installed build, restarted by systemd (the console can update it).
// --steps: stop after N steps (a frame held mid-way, its ETA as last sent); --backlog: N older log
// lines before the first step (a log longer than its box); --pair-only: pair, then exit without linking
// (a machine that never connected; started again without --code it links as that machine).
// --rules: it speaks rules as an agent with the rules engine does (support/rules-agent.ts), reading
// --cpu-celsius; --owner-cores: its owner set its cores on the machine (a profile leaves them).
import { parseArgs } from 'node:util';
import { agentVersionId } from '@flock/protocol';
import { LinkClient, loadLinkCredentials, pair } from 'flock-agent';
import { SimulatedAgent } from 'flock-agent/testing';
import { speakRules, testFacts } from './rules-agent';
import { step, type TroubleScenario, troubled } from './simulation';

const { values } = parseArgs({
  options: {
    console: { type: 'string' },
    code: { type: 'string' },
    name: { type: 'string', default: 'sim-agent' },
    'config-dir': { type: 'string' },
    'step-ms': { type: 'string', default: '400' },
    scenario: { type: 'string' },
    'version-id': { type: 'string' },
    steps: { type: 'string' },
    backlog: { type: 'string', default: '0' },
    'pair-only': { type: 'boolean', default: false },
    rules: { type: 'boolean', default: false },
    'owner-cores': { type: 'string' },
    'cpu-celsius': { type: 'string', default: '55' },
  },
});
const scenario = values.scenario as TroubleScenario | undefined;
if (!values.console || !values['config-dir']) {
  console.error('usage: sim-agent --console URL [--code CODE] --config-dir DIR [--name NAME]');
  process.exit(2);
}
const report = (event: string, detail: object = {}) => console.log(JSON.stringify({ event, ...detail }));

if (values.code)
  await pair(values.console, values.code, { configDir: values['config-dir'], hostname: values.name });
const credentials = await loadLinkCredentials(values['config-dir']);
if (!credentials) throw new Error('no credentials after pairing');
report('paired', { machineId: credentials.machineId });
if (values['pair-only']) process.exit(0);

const agent = new SimulatedAgent({
  hostname: values.name,
  cpu: { model: 'Simulated EPYC', cores: 8 },
  gpus: [{ id: 'CUDA_0', model: 'Simulated RTX', vramBytes: 8 * 2 ** 30 }],
});
if (values.rules) speakRules(agent, { facts: testFacts({ cpuCelsius: Number(values['cpu-celsius']) }) });
if (values['owner-cores'])
  agent.update({
    ownerLimits: ['cores'],
    limits: { ...agent.state().limits, cores: Number(values['owner-cores']) },
  });
const execute = agent.execute.bind(agent);
agent.execute = async (command) => {
  report('command', { command });
  // An installed agent reports the update it is about to restart into (this one never restarts).
  const lifecycle = agent.state().lifecycle;
  if (command.type === 'update' && lifecycle)
    agent.update({
      lifecycle: {
        ...lifecycle,
        update: {
          kind: 'restarting',
          versionId: agentVersionId(command.version, command.sha256),
          at: Date.now(),
        },
      },
    });
  return execute(command);
};
const client = new LinkClient({
  ...credentials,
  agent,
  agentVersion: '0.1.0-sim',
  backoff: { initialMs: 200, maxMs: 2000 },
});
client.onStatus((status) => report('link', { status }));
let timer: NodeJS.Timeout | undefined;
let stepsLeft = values.steps === undefined ? Number.POSITIVE_INFINITY : Number(values.steps);
const render = () => {
  timer ??= setInterval(() => {
    if (stepsLeft-- > 0) step(agent);
  }, Number(values['step-ms']));
};
const backlogStart = Date.now() - 3_600_000;
for (let line = 1; line <= Number(values.backlog); line++)
  agent.addLog({ at: backlogStart + line * 1000, level: 'info', message: `older line ${line}` });
const applyFleetSettings = agent.applyFleetSettings.bind(agent);
agent.applyFleetSettings = (settings) => {
  report('fleet-settings', { settings });
  applyFleetSettings(settings);
  if (scenario === 'login-refused' && settings.clientVersion) render();
};
const versionId = values['version-id'];
if (versionId)
  agent.update({
    lifecycle: {
      version: versionId.replace(/-[0-9a-f]{12}$/, ''),
      versionId,
      supervisor: 'systemd',
      update: null,
    },
  });
if (scenario) troubled(agent, scenario);
else render();
client.start();

const stop = async () => {
  clearInterval(timer);
  await client.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
