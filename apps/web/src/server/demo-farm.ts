// `--demo-farm URL` (npm start): a console started next to the sandbox farm hands every machine that
// farm and its demo account, so a machine installed from "Add machine" renders the demo with no
// other step. First start only: once a farm server was set (by this or an admin), nothing changes.
import type { ConsoleCore } from './core';
import { log } from './log';

/** The sandbox farm's demo account (`flock-farm` creates it). */
export const DEMO_FARM_ACCOUNT = { login: 'demo', renderKey: 'demo' } as const;

const BY = 'npm start';

/** True when it set the farm server (and the demo account, unless the fleet already had one). */
export async function setUpDemoFarm(core: Pick<ConsoleCore, 'fleetSettings' | 'farmAccounts'>, url: string) {
  if (!(await core.fleetSettings.seedFarmServer(url, BY))) return false;
  if (!core.farmAccounts.views().fleet) await core.farmAccounts.setFleet({ ...DEMO_FARM_ACCOUNT }, BY);
  log('info', `console: machines without a farm of their own render for the demo farm ${url}`);
  return true;
}
