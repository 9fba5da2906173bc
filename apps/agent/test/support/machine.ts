// Fixed hardware facts for agents under test (agent, console and bench drivers), so the job
// requests they send do not depend on the machine running the tests.
import type { MachineFacts } from '../../src/hardware/index.js';

export function testMachineFacts(
  hostname: string,
  cpu: { name: string; cores: number } = { name: 'Test CPU @ 3.00GHz', cores: 4 },
): MachineFacts {
  return {
    os: 'linux',
    osVersion: 'linux debian gnu/linux 12',
    bits: '64bit',
    cpu: { family: '6', model: '158', ...cpu },
    ramKiB: 8 * 1024 * 1024,
    hostname,
    gpus: [],
  };
}
