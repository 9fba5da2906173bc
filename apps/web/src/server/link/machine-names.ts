import { type Hello, MachineNameSchema } from '@flock/protocol';
import type { ConsoleRepo } from '../db/repo';
import { log } from '../log';
import type { Fleet } from './fleet';

/**
 * One name per machine: the console's. A machine's first hello names it — after the same machine
 * paired before (same hardware id, no longer online: a rename survives re-pairing), else after the
 * hostname its agent gives the farm (a second agent on a host whose first one is online) — and the agent then sends the farm that name from its next login. Machines that
 * said hello before the console knew hardware ids keep their names. Returns the machine's name as
 * the agent should take it, or undefined when it is not one a farm accepts as a hostname.
 */
export async function nameOnHello(
  repo: ConsoleRepo,
  fleet: Fleet,
  machineId: string,
  hello: Hello,
): Promise<string | undefined> {
  const row = await repo.getMachine(machineId);
  if (!row) return undefined;
  let name = row.name;
  if (hello.hwid && row.hwid === null) {
    await repo.setMachineHwid(machineId, hello.hwid);
    if (row.hello === null) {
      // An earlier pairing still online is another agent on the same host, not this one paired again.
      const found = await repo.earlierPairingOf(hello.hwid, machineId);
      const earlier = found && fleet.summary(found.id)?.online !== true ? found : undefined;
      name = earlier?.name ?? hello.machine.hostname;
      if (earlier) log('info', `link ${machineId}: paired again, named ${name} as before`);
    }
  }
  if (name !== row.name) {
    await repo.renameMachine(machineId, name);
    fleet.rename(machineId, name);
  }
  return farmHostname(name);
}

/** The name as the agent's farm hostname, or undefined when a farm would not take it. */
export function farmHostname(name: string): string | undefined {
  const parsed = MachineNameSchema.safeParse(name);
  return parsed.success ? parsed.data : undefined;
}
