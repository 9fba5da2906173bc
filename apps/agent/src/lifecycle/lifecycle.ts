// The agent's life as the console steers it: Stop (finish the frame and its uploads, log out, wait
// linked for Start), Start, Restart (the same stop, then exit 75 for the supervisor to start it
// again) and Update (download the build, check it, store it as the version on trial, then restart:
// the launcher runs it once and rolls it back when it does not reach the console within a minute).
// The console's Stop holds across a restart until Start (ConsoleStopMark). What happened is in the
// state's `lifecycle`, for the console.
import type {
  CommandResult,
  ControlCommand,
  AgentLifecycle as LifecycleState,
  Supervisor,
  UpdateOutcome,
} from '@flock/protocol';
import type { Clock } from '../clock.js';
import type { Controls } from '../controls/index.js';
import {
  confirmTrial,
  homeLayout,
  type InstalledAgent,
  requestUpdate,
  versionIdOf,
} from '../install/index.js';
import { readVersions } from '../install/versions.js';
import type { Logger } from '../log/index.js';
import type { AgentStateStore } from '../state/index.js';
import { ConsoleStopMark } from './console-stop-mark.js';
import { type BuildSource, downloadBuild } from './download-build.js';

export interface LifecycleOptions {
  controls: Controls;
  store: AgentStateStore;
  log: Logger;
  clock: Clock;
  /** This agent's version (package.json). */
  version: string;
  /** The installed agent this process is; null when it runs from a clone. */
  installed: InstalledAgent | null;
  supervisor: Supervisor | null;
  /** The console the link is paired with: where builds are downloaded from (null: not paired). */
  buildSource: () => Promise<BuildSource | null>;
  /** Where the console's Stop is kept across restarts (ConsoleStopMark). */
  cacheDir: string;
  download?: typeof downloadBuild;
}

/** The console's commands that mean more than the agent's own command API does. */
export type LifecycleCommand = Extract<ControlCommand, { type: 'stop' | 'restart' | 'update' }>;

export const isLifecycleCommand = (command: ControlCommand): command is LifecycleCommand =>
  command.type === 'stop' || command.type === 'restart' || command.type === 'update';

/** How a stopped agent stops waiting: the console's Start, or a stop that ends the process. */
export type StoppedEnd = 'start' | 'exit' | 'restart';

const STOPPED_REASON = {
  code: 'stopped-by-user',
  message: 'Stopped from the console: it renders again when you press Start on its page.',
  until: null,
} as const;

export class AgentLifecycle {
  private updating: string | null = null;
  private readonly stopMark: ConsoleStopMark;
  /** The console's Stop holds in this process (applied here, or resumed from the mark at start). */
  private consoleStopped = false;

  constructor(private readonly options: LifecycleOptions) {
    this.stopMark = new ConsoleStopMark(options.cacheDir);
    this.report(this.lastRollback());
    // Start, or a resume that cancels a stop after the frame, ends the console's Stop. Changes before
    // it was applied or resumed (the link's settings arriving before the run) leave the mark alone.
    options.controls.on('change', () => {
      if (this.consoleStopped && options.controls.afterStop === null) this.updateStopMark(false);
    });
  }

  /**
   * Called before the first login: a machine the console stopped before its restart stays stopped
   * (the run then waits for Start). An agent that is not linked to a console drops the mark, since
   * nothing could press Start. True when it starts stopped.
   */
  resumeConsoleStop(): boolean {
    const { controls, log } = this.options;
    if (!this.stopMark.present) return false;
    if (!controls.linkedToConsole) {
      log.warn('this machine was stopped from the console, but it is not linked to one: rendering');
      this.updateStopMark(false);
      return false;
    }
    log.info('this machine was stopped from the console before it restarted: it waits for Start');
    this.consoleStopped = true;
    controls.stop('now', 'wait');
    return true;
  }

  /** A command from the console: Stop waits for Start here; Restart and Update need a supervisor. */
  async execute(command: LifecycleCommand): Promise<CommandResult> {
    const { controls } = this.options;
    switch (command.type) {
      case 'stop':
        if (controls.afterStop === 'wait') return { ok: true, message: 'already stopping or stopped' };
        this.updateStopMark(true);
        controls.stop(command.when, 'wait');
        return {
          ok: true,
          message:
            command.when === 'now'
              ? 'stopping rendering now; Start renders again'
              : 'stopping rendering after the current frame and its upload; Start renders again',
        };
      case 'restart':
        return this.restart();
      case 'update':
        return this.update(command.version, command.sha256);
    }
  }

  /** Called when the console welcomes this agent: a version on trial has made it and stays. */
  connected(): void {
    const { installed, log } = this.options;
    if (!installed) return;
    try {
      if (!confirmTrial(installed)) return;
      log.info(`version ${installed.versionId} confirmed: it connected to the console`);
      this.report({ kind: 'confirmed', versionId: installed.versionId, at: this.options.clock.now() });
    } catch (error) {
      log.warn(`could not confirm version ${installed.versionId}: ${(error as Error).message}`);
    }
  }

  /**
   * After the farm loop ended for the console's Stop (logged out): shows why it does not render and
   * waits for Start, or for a Restart or local stop that ends the process.
   */
  waitWhileStopped(): Promise<StoppedEnd> {
    const { controls, store, log } = this.options;
    store.setReason(STOPPED_REASON);
    log.info('rendering stopped from the console; waiting for Start');
    return new Promise((resolve) => {
      const check = () => {
        const after = controls.afterStop;
        if (after === 'wait') return;
        controls.off('change', check);
        if (after === null) log.info('started from the console');
        resolve(after ?? 'start');
      };
      controls.on('change', check);
      check();
    });
  }

  private updateStopMark(stopped: boolean): void {
    this.consoleStopped = stopped;
    try {
      if (stopped) this.stopMark.set(this.options.clock.now());
      else this.stopMark.clear();
    } catch (error) {
      this.options.log.warn(
        `cannot keep the console's Stop for the next restart: ${(error as Error).message}`,
      );
    }
  }

  private unsupported(what: string): CommandResult | null {
    const { supervisor, installed } = this.options;
    if (supervisor) return null;
    return {
      ok: false,
      reason: 'unsupported',
      message: installed
        ? `${what}: this agent was installed without a service (--no-service), so nothing would start it again; restart it by hand on the machine`
        : `${what}: nothing starts this agent again when it exits (it was started by hand); restart it on the machine`,
    };
  }

  private restart(): CommandResult {
    const refused = this.unsupported('cannot restart');
    if (refused) return refused;
    this.options.controls.stop('after-frame', 'restart');
    this.options.log.info('restarting from the console after the current frame and its upload');
    return { ok: true, message: 'restarting after the current frame and its upload' };
  }

  private update(version: string, sha256: string): CommandResult {
    const { installed } = this.options;
    if (!installed)
      return {
        ok: false,
        reason: 'unsupported',
        message:
          'cannot update: this agent runs from a clone of the repository, not an installed agent; update it with git there',
      };
    const refused = this.unsupported('cannot update');
    if (refused) return refused;
    const versionId = versionIdOf(version, sha256);
    if (versionId === installed.versionId) return { ok: true, message: `already on ${versionId}` };
    if (this.updating)
      return { ok: false, reason: 'invalid', message: `already updating to ${this.updating}` };
    this.updating = versionId;
    void this.fetchAndRestart(installed, { version, sha256, versionId });
    return { ok: true, message: `updating to ${versionId}: downloading it` };
  }

  private async fetchAndRestart(
    installed: InstalledAgent,
    build: { version: string; sha256: string; versionId: string },
  ): Promise<void> {
    const { log, clock, controls } = this.options;
    const { versionId } = build;
    this.report({ kind: 'downloading', versionId, at: clock.now() });
    try {
      const source = await this.options.buildSource();
      if (!source) throw new Error('this agent is not paired with a console');
      const bytes = await (this.options.download ?? downloadBuild)(source, build.sha256);
      requestUpdate(installed, { version: build.version, sha256: build.sha256, bytes }, clock);
    } catch (error) {
      const message = (error as Error).message.slice(0, 500);
      log.error(`update to ${versionId} failed: ${message}`);
      this.report({ kind: 'failed', versionId, at: clock.now(), message });
      this.updating = null;
      return;
    }
    log.info(`version ${versionId} stored for its trial: restarting after the current frame and its upload`);
    this.report({ kind: 'restarting', versionId, at: clock.now() });
    controls.stop('after-frame', 'restart');
  }

  /** The launcher's last rollback, as this (old) version reports it after the restart. */
  private lastRollback(): UpdateOutcome | null {
    const { installed } = this.options;
    if (!installed) return null;
    try {
      const rolledBack = readVersions(homeLayout(installed.home)).versions.rolledBack;
      return rolledBack
        ? { kind: 'rolled-back', versionId: rolledBack.id, at: rolledBack.at, message: rolledBack.reason }
        : null;
    } catch {
      return null;
    }
  }

  private report(update: UpdateOutcome | null): void {
    const { version, installed, supervisor, store } = this.options;
    const lifecycle: LifecycleState = {
      version,
      versionId: installed?.versionId ?? null,
      supervisor,
      update,
    };
    store.update({ lifecycle });
  }
}
