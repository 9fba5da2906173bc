// The projects this machine never renders: those its user blocked ("machine") and those the console
// blocked for the whole fleet ("fleet"). Kept in a small JSON file in the cache dir so a block
// survives a restart (the farm forgets it with the session), bounded per scope, and shown in the state.
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type BlockedProject,
  BlockedProjectSchema,
  type CommandResult,
  type FleetBlock,
  MAX_BLOCKED_PROJECTS,
} from '@flock/protocol';
import type { Clock } from '../clock.js';
import type { ProjectUnblocker } from '../controls/index.js';
import type { Logger } from '../log/index.js';

export const BLOCKED_PROJECTS_FILE = 'blocked-projects.json';

/** A file larger than this is not a list of blocks this agent wrote: it is ignored. */
const MAX_FILE_BYTES = 256 * 1024;

export interface BlockedProjectsOptions {
  cacheDir: string;
  clock: Clock;
  log: Logger;
  /** Called with the whole list after every change (the state shows it). */
  onChange: (list: BlockedProject[]) => void;
}

export class BlockedProjects implements ProjectUnblocker {
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly options: BlockedProjectsOptions,
    private entries: BlockedProject[],
  ) {}

  /** Reads the blocks of earlier runs; a missing, oversized or unreadable file means none. */
  static async load(options: BlockedProjectsOptions): Promise<BlockedProjects> {
    const blocks = new BlockedProjects(options, await readBlocks(fileOf(options.cacheDir), options.log));
    options.onChange(blocks.list());
    return blocks;
  }

  list(): BlockedProject[] {
    return [...this.entries];
  }

  has(archiveMd5: string): boolean {
    const md5 = archiveMd5.toLowerCase();
    return this.entries.some((entry) => entry.archiveMd5 === md5);
  }

  /** The user blocked the project of the job being rendered. */
  block(project: { archiveMd5: string; name: string }): void {
    const archiveMd5 = project.archiveMd5.toLowerCase();
    if (!/^[0-9a-f]{32}$/.test(archiveMd5) || this.has(archiveMd5)) return;
    const entry: BlockedProject = {
      archiveMd5,
      name: project.name.slice(0, 300),
      blockedAt: this.options.clock.now(),
      scope: 'machine',
    };
    const machine = [...this.ofScope('machine'), entry].slice(-MAX_BLOCKED_PROJECTS);
    this.replace([...this.ofScope('fleet'), ...machine]);
    this.options.log.info('project blocked on this machine', { project: entry.name, md5: archiveMd5 });
  }

  unblock(archiveMd5: string): CommandResult {
    const entry = this.entries.find((candidate) => candidate.archiveMd5 === archiveMd5.toLowerCase());
    if (!entry) return { ok: false, reason: 'invalid', message: 'this project is not blocked here' };
    if (entry.scope === 'fleet') {
      return {
        ok: false,
        reason: 'invalid',
        message: 'blocked for the whole fleet: unblock it in the console for the fleet',
      };
    }
    this.replace(this.entries.filter((candidate) => candidate !== entry));
    this.options.log.info('project unblocked on this machine', { project: entry.name });
    return { ok: true, message: `${entry.name} unblocked` };
  }

  /** The console's fleet-wide blocks, whole: they replace the fleet blocks known so far. */
  setFleet(blocks: readonly FleetBlock[]): void {
    const fleet = blocks
      .slice(0, MAX_BLOCKED_PROJECTS)
      .map((block) => ({ ...block, scope: 'fleet' as const }));
    const fleetMd5s = new Set(fleet.map((block) => block.archiveMd5));
    const machine = this.ofScope('machine').filter((entry) => !fleetMd5s.has(entry.archiveMd5));
    const next = [...fleet, ...machine];
    if (JSON.stringify(next) !== JSON.stringify(this.entries)) this.replace(next);
  }

  /** Resolves once the last change is on disk. */
  async flushed(): Promise<void> {
    await this.writing;
  }

  private ofScope(scope: BlockedProject['scope']): BlockedProject[] {
    return this.entries.filter((entry) => entry.scope === scope);
  }

  private replace(entries: BlockedProject[]): void {
    this.entries = entries;
    this.options.onChange(this.list());
    const file = fileOf(this.options.cacheDir);
    const temp = `${file}.${process.pid}.tmp`;
    const text = JSON.stringify({ projects: entries });
    this.writing = this.writing
      .then(() => writeFile(temp, text, { mode: 0o600 }))
      .then(() => rename(temp, file))
      .catch((error: Error) =>
        this.options.log.warn('cannot save the blocked projects; they hold until the agent stops', {
          error: error.message,
        }),
      );
  }
}

function fileOf(cacheDir: string): string {
  return path.join(cacheDir, BLOCKED_PROJECTS_FILE);
}

async function readBlocks(file: string, log: Logger): Promise<BlockedProject[]> {
  let text: string;
  try {
    if ((await stat(file)).size > MAX_FILE_BYTES) {
      log.warn('blocked projects file ignored: too large', { file, maxBytes: MAX_FILE_BYTES });
      return [];
    }
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      log.warn('blocked projects file unreadable; starting with none', { error: (error as Error).message });
    return [];
  }
  let projects: unknown;
  try {
    projects = (JSON.parse(text) as { projects?: unknown }).projects;
  } catch {
    log.warn('blocked projects file is not JSON; starting with none', { file });
    return [];
  }
  if (!Array.isArray(projects)) return [];
  const entries: BlockedProject[] = [];
  for (const value of projects) {
    const parsed = BlockedProjectSchema.safeParse(value);
    if (parsed.success && !entries.some((entry) => entry.archiveMd5 === parsed.data.archiveMd5))
      entries.push(parsed.data);
    else if (!parsed.success) log.warn('blocked projects file: an invalid entry dropped');
  }
  const ofScope = (scope: BlockedProject['scope']) =>
    entries.filter((entry) => entry.scope === scope).slice(-MAX_BLOCKED_PROJECTS);
  return [...ofScope('fleet'), ...ofScope('machine')];
}
