// flock-agent/testing: test doubles and fixed facts for other packages' tests, the console's
// end-to-end test and the benchmarks. Never part of the agent itself (the bundle starts at src/cli.ts).
export { testMachineFacts, testMachineInfo } from './machine.js';
export { SimulatedAgent } from './simulated-agent.js';
