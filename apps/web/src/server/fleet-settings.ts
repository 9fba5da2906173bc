import type { EventEmitter } from 'node:events';
import {
  ClientVersionSchema,
  FarmServerUrlSchema,
  type FleetBlock,
  FleetBlockSchema,
  type FleetSettings,
  MAX_BLOCKED_PROJECTS,
} from '@flock/protocol';
import { z } from 'zod';
import type { ConsoleRepo } from './db/repo';
import type { FleetEvents } from './link/fleet';
import { log } from './log';

/** The stored keys of the fleet-wide settings (one row each in `fleet_settings`). */
const KEYS = {
  clientVersion: 'client-version',
  farmServer: 'farm-server',
  blockedProjects: 'blocked-projects',
} as const;

const StoredBlocksSchema = z.array(FleetBlockSchema).max(MAX_BLOCKED_PROJECTS);

export type BlockOutcome = 'blocked' | 'already-blocked' | 'full';

/**
 * The settings the console holds for every machine: read once at start, changed by the API, each
 * change written to the database and announced on the bus (the link hub sends it to every agent).
 */
export class FleetSettingsStore {
  private current: FleetSettings = { clientVersion: null, farmServer: null, blockedProjects: [] };
  /** Whether a farm server was ever stored (null included): `seedFarmServer` then leaves it alone. */
  private farmServerStored = false;

  constructor(
    private readonly repo: ConsoleRepo,
    private readonly bus: EventEmitter<FleetEvents>,
    private readonly now: () => number,
  ) {}

  /** Reads the stored settings; a value that does not pass its schema is dropped with a log line. */
  async load(): Promise<void> {
    const stored = await this.repo.fleetSettings();
    const read = <T>(key: string, schema: z.ZodType<T>, fallback: T): T => {
      if (!stored.has(key)) return fallback;
      const parsed = schema.safeParse(stored.get(key));
      if (parsed.success) return parsed.data;
      log('warn', `fleet settings: stored ${key} is invalid and ignored`);
      return fallback;
    };
    this.current = {
      clientVersion: read(KEYS.clientVersion, ClientVersionSchema.nullable(), null),
      farmServer: read(KEYS.farmServer, FarmServerUrlSchema.nullable(), null),
      blockedProjects: read(KEYS.blockedProjects, StoredBlocksSchema, []),
    };
    this.farmServerStored = stored.has(KEYS.farmServer);
  }

  get settings(): FleetSettings {
    return this.current;
  }

  async setClientVersion(clientVersion: string | null, by: string): Promise<void> {
    if (clientVersion === this.current.clientVersion) return;
    this.current = { ...this.current, clientVersion };
    log('info', `fleet settings: client version ${clientVersion ?? '(each agent its own)'} set by ${by}`);
    await this.changed(KEYS.clientVersion, clientVersion, by);
  }

  /** The farm agents without a server of their own log in to (null: the public farm). */
  async setFarmServer(farmServer: string | null, by: string): Promise<void> {
    this.farmServerStored = true;
    if (farmServer === this.current.farmServer) return;
    this.current = { ...this.current, farmServer };
    log('info', `fleet settings: farm server ${farmServer ?? '(the public farm)'} set by ${by}`);
    await this.changed(KEYS.farmServer, farmServer, by);
  }

  /** Sets the farm server unless one was ever set (first start only); true when it did. */
  async seedFarmServer(farmServer: string, by: string): Promise<boolean> {
    if (this.farmServerStored) return false;
    this.farmServerStored = true;
    this.current = { ...this.current, farmServer };
    log('info', `fleet settings: farm server ${farmServer} set by ${by}`);
    await this.changed(KEYS.farmServer, farmServer, by);
    return true;
  }

  async blockProject(project: Pick<FleetBlock, 'archiveMd5' | 'name'>, by: string): Promise<BlockOutcome> {
    const blocked = this.current.blockedProjects;
    if (blocked.some((block) => block.archiveMd5 === project.archiveMd5)) return 'already-blocked';
    if (blocked.length >= MAX_BLOCKED_PROJECTS) return 'full';
    const block: FleetBlock = { ...project, blockedAt: this.now() };
    this.current = { ...this.current, blockedProjects: [...blocked, block] };
    log('info', `fleet settings: project "${project.name}" blocked for the fleet by ${by}`);
    await this.changed(KEYS.blockedProjects, this.current.blockedProjects, by);
    return 'blocked';
  }

  async unblockProject(archiveMd5: string, by: string): Promise<boolean> {
    const blocked = this.current.blockedProjects;
    const remaining = blocked.filter((block) => block.archiveMd5 !== archiveMd5);
    if (remaining.length === blocked.length) return false;
    this.current = { ...this.current, blockedProjects: remaining };
    log('info', `fleet settings: project ${archiveMd5} unblocked for the fleet by ${by}`);
    await this.changed(KEYS.blockedProjects, remaining, by);
    return true;
  }

  private async changed(key: string, value: unknown, by: string): Promise<void> {
    this.bus.emit('fleetSettings');
    await this.repo.setFleetSetting(key, value, this.now(), by);
  }
}
