// The SheepIt account the console hands its agents: one for the fleet and any machine's own, kept in
// the fleet-settings table (`farm-account` and `farm-account:<machine id>`) with the render key sealed
// by the SecretBox. The render key leaves this module only towards the link hub, never towards the API.
import type { EventEmitter } from 'node:events';
import { type FarmAccount, FarmAccountSchema } from '@flock/protocol';
import { z } from 'zod';
import type { ConsoleRepo } from '../db/repo';
import type { FleetEvents } from '../link/fleet';
import { log } from '../log';
import type { SecretBox } from './secret-box';

const FLEET_KEY = 'farm-account';
const MACHINE_KEY_PREFIX = 'farm-account:';
const machineKey = (machineId: string) => `${MACHINE_KEY_PREFIX}${machineId}`;

const StoredAccountSchema = z.object({
  login: FarmAccountSchema.shape.login,
  sealedRenderKey: z.string().startsWith('v1:').max(2000),
  setAt: z.number().int().nonnegative(),
  setBy: z.string().max(100),
});
type StoredAccount = z.infer<typeof StoredAccountSchema>;

/** What the console's pages may see of an account: who and when, never the render key. */
export interface FarmAccountView {
  login: string;
  setAt: number;
  setBy: string;
}

interface HeldAccount {
  account: FarmAccount;
  view: FarmAccountView;
}

export class FarmAccountStore {
  private fleet: HeldAccount | null = null;
  private readonly machines = new Map<string, HeldAccount>();

  constructor(
    private readonly repo: ConsoleRepo,
    private readonly box: SecretBox,
    private readonly bus: EventEmitter<FleetEvents>,
    private readonly now: () => number,
  ) {}

  /** Reads and opens every stored account; one that does not open is left out with a log line. */
  async load(): Promise<void> {
    for (const [key, value] of await this.repo.fleetSettings()) {
      if (key !== FLEET_KEY && !key.startsWith(MACHINE_KEY_PREFIX)) continue;
      const held = this.open(key, value);
      if (!held) continue;
      if (key === FLEET_KEY) this.fleet = held;
      else this.machines.set(key.slice(MACHINE_KEY_PREFIX.length), held);
    }
  }

  /** The account a machine should use: its own, else the fleet's, else none. */
  accountFor(machineId: string): FarmAccount | null {
    return (this.machines.get(machineId) ?? this.fleet)?.account ?? null;
  }

  views(): { fleet: FarmAccountView | null; machines: (FarmAccountView & { machineId: string })[] } {
    return {
      fleet: this.fleet?.view ?? null,
      machines: [...this.machines].map(([machineId, held]) => ({ machineId, ...held.view })),
    };
  }

  async setFleet(account: FarmAccount, by: string): Promise<void> {
    this.fleet = await this.save(FLEET_KEY, account, by);
    log('info', `farm account: the fleet's set to ${account.login} by ${by}`);
    this.bus.emit('farmAccount', null);
  }

  async setMachine(machineId: string, account: FarmAccount, by: string): Promise<void> {
    this.machines.set(machineId, await this.save(machineKey(machineId), account, by));
    log('info', `farm account: machine ${machineId}'s own set to ${account.login} by ${by}`);
    this.bus.emit('farmAccount', machineId);
  }

  async clearFleet(by: string): Promise<void> {
    if (!this.fleet) return;
    this.fleet = null;
    await this.repo.deleteFleetSetting(FLEET_KEY);
    log('info', `farm account: the fleet's removed by ${by}`);
    this.bus.emit('farmAccount', null);
  }

  async clearMachine(machineId: string, by: string): Promise<void> {
    if (!this.machines.delete(machineId)) return;
    await this.repo.deleteFleetSetting(machineKey(machineId));
    log('info', `farm account: machine ${machineId}'s own removed by ${by}`);
    this.bus.emit('farmAccount', machineId);
  }

  private async save(key: string, account: FarmAccount, by: string): Promise<HeldAccount> {
    const now = this.now();
    const stored: StoredAccount = {
      login: account.login,
      sealedRenderKey: this.box.seal(account.renderKey, key),
      setAt: now,
      setBy: by,
    };
    await this.repo.setFleetSetting(key, stored, now, by);
    return { account, view: { login: account.login, setAt: now, setBy: by } };
  }

  private open(key: string, value: unknown): HeldAccount | null {
    const stored = StoredAccountSchema.safeParse(value);
    if (!stored.success) {
      log('warn', `farm account: stored ${key} is invalid and ignored`);
      return null;
    }
    const { login, sealedRenderKey, setAt, setBy } = stored.data;
    try {
      const account = { login, renderKey: this.box.open(sealedRenderKey, key) };
      return { account, view: { login, setAt, setBy } };
    } catch (error) {
      log(
        'error',
        `farm account: stored ${key} cannot be decrypted (${(error as Error).message}); enter it again`,
      );
      return null;
    }
  }
}
