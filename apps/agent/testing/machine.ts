// Fixed hardware facts for agents under test (agent, console and bench drivers), so the job
// requests they send and the state they report do not depend on the machine running the tests.
import type { MachineInfo } from '@flock/protocol';
import type { MachineFacts } from '../src/hardware/index.js';

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

/** A machine as an agent's state reports it (`hello`, snapshots): a 4-core Linux box without GPUs. */
export function testMachineInfo(hostname: string, patch: Partial<MachineInfo> = {}): MachineInfo {
  return {
    hostname,
    os: 'linux debian gnu/linux 12',
    arch: '64bit',
    cpu: { model: 'Test CPU @ 3.00GHz', cores: 4 },
    ramBytes: 8 * 1024 ** 3,
    gpus: [],
    blender: null,
    ...patch,
  };
}
