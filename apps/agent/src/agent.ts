// The composition root: settings → HTTP client, session, cache, uploads, renderer, heartbeat and the
// farm loop, all sharing one clock, one logger and one observable state. It is also what the
// console link drives (LinkedAgent).
import { rm } from 'node:fs/promises';
import { freemem } from 'node:os';
import path from 'node:path';
import {
  type AgentEvent,
  type AgentState,
  type CommandResult,
  type ConfigParams,
  type ControlCommand,
  computeMethodCode,
  type FleetSettings,
  type JobRequestParams,
  type Limits,
  type LogLine,
  logLineText,
  type MachineInfo,
  type Supervisor,
  type UploadBackoff,
} from '@flock/protocol';
import packageJson from '../package.json' with { type: 'json' };
import { type Clock, systemClock } from './clock.js';
import type { AgentSettings } from './config/index.js';
import { type AgentCommand, Controls } from './controls/index.js';
import { freeBytesIn } from './disk.js';
import { ArchiveCache, type ArchiveCacheOptions, type RateFloorOptions } from './download/index.js';
import { FarmAccounts } from './farm/account.js';
import { BlockedProjects } from './farm/blocked-projects.js';
import { ErrorReporter, type ReportHeader } from './farm/error-report.js';
import { parseFrameTimes } from './farm/frame-estimate.js';
import { Heartbeat, keepAliveParams } from './farm/heartbeat.js';
import { FarmHttp } from './farm/http.js';
import { JobRunner } from './farm/job-runner.js';
import { FarmLoop } from './farm/loop.js';
import type { RenderPort } from './farm/ports.js';
import { createBlenderRenderPort } from './farm/render-adapter.js';
import { FarmSession } from './farm/session.js';
import { FarmUploads } from './farm/uploads.js';
import {
  DiskSpaceMonitor,
  getHwid,
  getMachineFacts,
  gpuIdFor,
  type MachineFacts,
  UsageMonitor,
} from './hardware/index.js';
import { EXIT_RESTART, type InstalledAgent } from './install/index.js';
import { AgentLifecycle, isLifecycleCommand } from './lifecycle/index.js';
import {
  type ConsoleLinkInfo,
  type FarmAccountUpdate,
  type LinkedAgent,
  loadLinkCredentials,
} from './link/index.js';
import { Logger } from './log/index.js';
import { memoryNoticeOnce } from './render/index.js';
import { AgentRules } from './rules/agent-rules.js';
import { createFactsReader, type FactsReader, OwnerCpuAverage } from './rules/facts.js';
import { AgentStateStore, mirrorStateToFile, readStateFile, uncleanExitReport } from './state/index.js';

/** Inlined by the bundle: an installed agent is one file, with no package.json beside it. */
export const AGENT_VERSION: string = packageJson.version;

export interface AgentOptions {
  settings: AgentSettings;
  /** Runs one frame; default: Blender (or the farm's renderer) through src/render. */
  render?: RenderPort;
  clock?: Clock;
  log?: Logger;
  /** Default: collected with systeminformation. */
  machine?: MachineFacts;
  hwid?: string;
  random?: () => number;
  /** Tests shorten the upload retry waits. */
  uploadBackoff?: UploadBackoff;
  /** Tests shorten download retries; their `freeBytes` also serves the wait for a full disk. */
  download?: ArchiveCacheOptions['download'];
  /** The minimum rate of every farm call and download (default 1 KiB/s over 60 s). */
  rateFloor?: RateFloorOptions;
  skipSpeedtest?: boolean;
  /** The config dir: where the farm account from the console is kept (else only in memory). */
  configDir?: string;
  /** The installed agent this process is (the launcher's versions); default: none, a clone. */
  installed?: InstalledAgent | null;
  /** What starts the agent again after exit code 75; default: nothing (restart, update refused). */
  supervisor?: Supervisor | null;
  /** What the owner rules read on this machine; default: the platform readers. */
  factsReader?: FactsReader;
}

/** The agent; also what the console link drives (LinkedAgent). */
export class Agent implements LinkedAgent {
  private constructor(
    readonly settings: AgentSettings,
    readonly store: AgentStateStore,
    readonly controls: Controls,
    readonly log: Logger,
    readonly hwid: string,
    private readonly parts: {
      http: FarmHttp;
      loop: FarmLoop;
      heartbeat: Heartbeat;
      uploads: FarmUploads;
      usage: UsageMonitor;
      diskSpace: DiskSpaceMonitor;
      clock: Clock;
      blocks: BlockedProjects;
      accounts: FarmAccounts;
      lifecycle: AgentLifecycle;
      session: FarmSession;
      rules: AgentRules;
    },
  ) {}

  static async create(options: AgentOptions): Promise<Agent> {
    const { settings } = options;
    const clock = options.clock ?? systemClock;
    const log = options.log ?? new Logger(clock);
    log.addSecret(settings.password);
    const dirs = cacheLayout(settings.cacheDir);
    const machine = options.machine ?? (await getMachineFacts());
    const hwid = options.hwid ?? (await getHwid(settings.cacheDir));
    const limits = limitsFrom(settings);
    limits.gpu = configuredGpu(limits.gpu, machine, log);
    const store = new AgentStateStore({ machine: machineInfo(machine, settings), limits }, clock);
    log.onEntry((entry) => store.recordLog(entry));
    // The frame times of earlier runs, for the next frame's estimate: the state file mirrors them.
    const earlier = await readStateFile(settings.cacheDir);
    store.updateLocal({ frameTimes: parseFrameTimes(earlier?.local?.frameTimes) });
    const accounts = await FarmAccounts.open({
      local:
        settings.login && settings.password ? { login: settings.login, password: settings.password } : null,
      ...(settings.server ? { localServer: settings.server } : {}),
      log,
      ...(options.configDir ? { configDir: options.configDir } : {}),
    });
    store.update({ farmAccount: accounts.view });
    accounts.on('change', () => store.update({ farmAccount: accounts.view }));
    const ownerCpu = new OwnerCpuAverage();
    const usage = new UsageMonitor({
      store,
      clock,
      // Each sample's counters, less the render's CPU time (read from /proc on Linux), feed the owner rules.
      ownerCpu,
    });
    const diskSpace = new DiskSpaceMonitor({
      store,
      clock,
      dir: settings.cacheDir,
      warn: (message) => log.warn(message),
    });
    let loop: FarmLoop | undefined;
    const blocks = await BlockedProjects.load({
      cacheDir: settings.cacheDir,
      clock,
      log,
      onChange: (blockedProjects) => {
        store.update({ blockedProjects });
        loop?.blocksChanged();
      },
    });
    const memoryNotice = memoryNoticeOnce((message) => log.warn(message));
    const rules = await AgentRules.open({
      clock,
      log,
      reader: options.factsReader ?? createFactsReader({ now: () => clock.now(), log, ownerCpu }),
      owner: settings.rules ?? [],
      cacheDir: settings.cacheDir,
    });
    const controls = new Controls({
      limits,
      ...(settings.maxFrames === undefined ? {} : { maxFrames: settings.maxFrames }),
      gpuIds: machine.gpus.flatMap((gpu) => (gpu.id ? [gpu.id] : [])),
      machineCores: Math.max(1, machine.cpu.cores),
      clientVersion: settings.clientVersion ?? AGENT_VERSION,
      machineName: settings.hostname ?? machine.hostname,
      blocks,
      rules,
    });
    store.update({ rules: rules.state, ownerLimits: settings.ownerLimits ?? [] });
    rules.engine.on('change', (outcome) => controls.applyRules(outcome.effect, outcome.active));
    rules.engine.on('state', (state) => store.update({ rules: state }));
    controls.on('change', () => {
      store.update({ limits: controls.limits, afterFrame: controls.afterFrame });
      const hostname = controls.machineName.slice(0, 253);
      if (store.state.machine.hostname !== hostname) store.setMachine({ ...store.state.machine, hostname });
    });
    const http = new FarmHttp({
      clock,
      userAgent: `Flock/${AGENT_VERSION}`,
      ...(settings.proxy ? { proxy: settings.proxy } : {}),
      ...(options.rateFloor ? { rateFloor: options.rateFloor } : {}),
    });
    const session = new FarmSession({
      http,
      log,
      serverUrl: () => accounts.server,
      params: configParams(settings, machine, hwid, controls.clientVersion),
      account: () => accounts.current,
      clientVersion: () => controls.clientVersion,
      hostname: () => controls.machineName,
      ...(options.skipSpeedtest ? { skipSpeedtest: true } : {}),
    });
    const reporter = new ErrorReporter({
      http,
      log,
      dir: dirs.reports,
      header: () => ({
        ...reportHeader(
          settings,
          machine,
          controls.clientVersion,
          session.loggedInAs ?? accounts.current?.login ?? '',
        ),
        hostname: controls.machineName,
      }),
      endpoints: () => session.endpoints,
    });
    const cache = await ArchiveCache.open({
      dir: dirs.archives,
      dispatcher: http.dispatcher,
      clock,
      ...(settings.sharedZip ? { sharedDir: settings.sharedZip } : {}),
      ...(settings.cacheMaxBytes === undefined ? {} : { maxBytes: settings.cacheMaxBytes }),
      extractionDirs: [dirs.renderers],
      log,
      download: { ...options.download, ...(options.rateFloor ? { rateFloor: options.rateFloor } : {}) },
    });
    await cache.cleanup();
    // What a previous run left in the jobs dir (a frame cut short, a spare project) is never needed:
    // its rendered frames are in the upload queue.
    await rm(dirs.jobs, { recursive: true, force: true });
    let logins = 0;
    const uploads = await FarmUploads.open({
      dir: dirs.uploads,
      http,
      store,
      reporter,
      log,
      clock,
      sessionKey: () => `login-${logins}`,
      onSessionRefused: () => loop?.requestRelogin(),
      ...(options.uploadBackoff ? { backoff: options.uploadBackoff } : {}),
    });
    const runner = new JobRunner({
      cache,
      renderersDir: dirs.renderers,
      jobsDir: dirs.jobs,
      render: store.thumbnails.wrap(
        options.render ??
          createBlenderRenderPort({
            clock,
            gpus: machine.gpus,
            onRenderEvent: (event) => {
              usage.onRenderEvent(event);
              memoryNotice(event);
            },
          }),
      ),
      uploads,
      store,
      controls,
      clock,
      log,
      onTraffic: () => http.noteTraffic(),
      farmHeaders: (url) => http.headersFor(url),
    });
    const heartbeat = new Heartbeat({
      http,
      clock,
      log,
      endpoints: () => session.endpoints,
      params: () =>
        keepAliveParams({
          paused: controls.paused,
          job: loop?.currentJob,
          etaSeconds: store.state.job?.etaSeconds,
          renderStartedAt: store.renderStartedAt,
          now: clock.now(),
        }),
      onStopJob: (jobId) => loop?.cancelJob(jobId),
    });
    loop = new FarmLoop({
      clock,
      log,
      store,
      controls,
      http,
      session,
      accounts,
      reporter,
      runner,
      uploads,
      cache,
      blocks,
      disk: { dir: dirs.archives, freeBytes: options.download?.freeBytes ?? freeBytesIn },
      jobRequestParams: () =>
        jobRequestParams(controls.effectiveLimits, machine, runner.downloadSpeed, http.uploadSpeed),
      configDump: () => configDump(settings, machine, hwid, controls.clientVersion),
      onLoggedIn: () => {
        logins++;
        heartbeat.start();
        uploads.start();
      },
      ...(options.random ? { random: options.random } : {}),
    });
    const { configDir } = options;
    const lifecycle = new AgentLifecycle({
      controls,
      store,
      log,
      clock,
      version: AGENT_VERSION,
      installed: options.installed ?? null,
      supervisor: options.supervisor ?? null,
      buildSource: async () => (configDir ? await loadLinkCredentials(configDir) : null),
      cacheDir: settings.cacheDir,
    });
    return new Agent(settings, store, controls, log, hwid, {
      http,
      loop,
      heartbeat,
      uploads,
      usage,
      diskSpace,
      clock,
      blocks,
      accounts,
      lifecycle,
      session,
      rules,
    });
  }

  /**
   * Logs in and works until stopped; resolves with the process exit code (EXIT_RESTART: start it
   * again). Stopped from the console, it waits logged out for Start and then logs in again.
   */
  async run(): Promise<number> {
    const { loop, heartbeat, uploads, usage, diskSpace, http, clock, lifecycle } = this.parts;
    const uncleanExit = await uncleanExitReport(this.settings.cacheDir, this.store, clock.now());
    if (uncleanExit) {
      this.log.warn(uncleanExit.message);
      this.store.publish(uncleanExit);
    }
    const stopMirror = mirrorStateToFile(this.store, this.settings.cacheDir, clock);
    usage.start();
    diskSpace.start();
    // Evaluated once before the first job request: a rule that holds at start asks for no job.
    await this.parts.rules.engine.start();
    lifecycle.resumeConsoleStop();
    try {
      for (;;) {
        const code = await loop.run();
        const then = code === 0 ? this.controls.afterStop : 'exit';
        const end = then === 'wait' ? await lifecycle.waitWhileStopped() : then;
        if (end === 'restart') return EXIT_RESTART;
        if (end !== 'start') return code;
      }
    } finally {
      await this.parts.rules.engine.stop();
      await usage.stop();
      await diskSpace.stop();
      await heartbeat.stop();
      await uploads.stop();
      await http.close();
      await this.parts.blocks.flushed();
      await this.parts.rules.flushed();
      await this.parts.accounts.saved();
      await stopMirror();
    }
  }

  /** A command from this machine (Ctrl-C, `flock-agent stop`, tests): its stop ends the process. */
  execute(command: AgentCommand): Promise<CommandResult> {
    return this.controls.execute(command);
  }

  /** A command from the console: its Stop waits for Start; Restart and Update need a supervisor. */
  executeFromConsole(command: ControlCommand): Promise<CommandResult> {
    return isLifecycleCommand(command) ? this.parts.lifecycle.execute(command) : this.execute(command);
  }

  /** The console welcomed this agent: a new version on trial is confirmed. */
  consoleWelcomed(): void {
    this.parts.lifecycle.connected();
  }

  /** A console link runs: a login refused as "client too old" then waits for the console's version. */
  linkStarted(): void {
    this.controls.markLinkedToConsole();
  }

  /**
   * The console's fleet-wide settings: its client version and farm server for the next login, its
   * blocked projects. The farm server is kept with the console's account for the next run. Another
   * farm server (for an agent without its own) means another login after the current frame; a wait
   * for it or for an account, or a back-off against the previous farm, ends at once.
   */
  applyFleetSettings(settings: FleetSettings): void {
    const { blocks, accounts, session, loop } = this.parts;
    blocks.setFleet(settings.blockedProjects);
    this.controls.setFleetClientVersion(settings.clientVersion);
    if (accounts.setConsoleServer(settings.farmServer)) {
      this.log.info('farm server from the console', { server: accounts.server });
      // A login under way is checked against the new server when it ends (LoginStep).
      if (session.loggedInTo !== null && session.loggedInTo !== accounts.server)
        loop.requestRelogin('the farm server from the console changed');
      this.controls.farmAccountChanged();
    }
  }

  /** The console's name for this machine: the hostname the farm gets from the next login. */
  applyMachineName(name: string): void {
    if (name !== this.controls.machineName) this.log.info('named by the console', { name });
    this.controls.setMachineName(name);
  }

  /**
   * The console's farm account: kept, and when the credentials to log in with change (no local
   * account; another or none from the console), logged in again after the current frame.
   */
  farmAccountFromConsole(update: FarmAccountUpdate): void {
    void this.parts.accounts.update(update).then((changed) => {
      if (changed) {
        this.parts.loop.requestRelogin('the farm account from the console changed');
        this.controls.farmAccountChanged();
      } else if ('withheld' in update) this.controls.farmAccountChanged();
    });
  }

  state(): AgentState {
    return this.store.state;
  }

  onChange(listener: () => void): () => void {
    this.store.on('change', listener);
    return () => this.store.off('change', listener);
  }

  onEvent(listener: (event: AgentEvent) => void): () => void {
    this.store.on('event', listener);
    return () => this.store.off('event', listener);
  }

  logs(query: { limit: number; search?: string }): LogLine[] {
    const lines = this.store.state.recentLog.filter(
      (line) => !query.search || logLineText(line).includes(query.search),
    );
    return lines.slice(-query.limit);
  }

  consoleLinkChanged(link: ConsoleLinkInfo): void {
    this.store.updateLocal({ consoleLink: link });
  }
}

function cacheLayout(cacheDir: string) {
  const at = (name: string) => path.join(cacheDir, name);
  return {
    archives: at('archives'),
    renderers: at('renderers'),
    jobs: at('jobs'),
    uploads: at('uploads'),
    reports: at('reports'),
  };
}

export function limitsFrom(settings: AgentSettings): Limits {
  return {
    computeMethod: settings.computeMethod,
    gpu: settings.gpu ?? null,
    cores: settings.cores ?? null,
    memoryBytes: settings.memoryBytes ?? null,
    maxFrameTimeSeconds: settings.maxFrameTimeSeconds ?? null,
    priority: settings.priority,
    requestTime: settings.requestTime ?? null,
  };
}

/**
 * The configured `--gpu` as this machine's GPU id: a name of an earlier Flock or of the official
 * client (`CUDA_0`, a card's CUDA id now that it renders with OptiX) selects the same card.
 */
function configuredGpu(name: string | null, machine: MachineFacts, log: Logger): string | null {
  if (name === null) return null;
  const id = gpuIdFor(name, machine.gpus);
  if (id === undefined) {
    const known = machine.gpus.flatMap((gpu) => (gpu.id ? [gpu.id] : [])).join(', ') || 'none';
    log.warn(`--gpu ${name} is not a GPU of this machine (${known}): no GPU is used until it names one`);
    return name;
  }
  if (id !== name) log.info(`--gpu ${name} is ${id}`);
  return id;
}

function machineInfo(machine: MachineFacts, settings: AgentSettings): MachineInfo {
  return {
    hostname: (settings.hostname ?? machine.hostname).slice(0, 253) || 'unknown',
    os: machine.osVersion.slice(0, 200),
    arch: machine.bits,
    cpu: { model: machine.cpu.name.slice(0, 200), cores: Math.max(1, machine.cpu.cores) },
    ramBytes: machine.ramKiB * 1024,
    gpus: machine.gpus.slice(0, 16).map((gpu) => ({
      id: (gpu.id ?? gpu.model).slice(0, 200) || 'gpu',
      model: gpu.model.slice(0, 200),
      vramBytes: gpu.vramBytes || null,
    })),
    blender: null,
  };
}

function configParams(
  settings: AgentSettings,
  machine: MachineFacts,
  hwid: string,
  version: string,
): Omit<ConfigParams, 'login' | 'password'> {
  return {
    version,
    os: machine.os,
    osVersion: machine.osVersion,
    bits: machine.bits,
    cpuFamily: machine.cpu.family,
    cpuModel: machine.cpu.model,
    cpuModelName: machine.cpu.name,
    cpuCores: settings.cores ?? machine.cpu.cores,
    ramKiB: machine.ramKiB,
    hostname: settings.hostname ?? machine.hostname,
    ui: 'FlockAgent',
    headless: true,
    hwid,
  };
}

function selectedGpu(limits: Limits, machine: MachineFacts) {
  if (limits.computeMethod === 'cpu') return undefined;
  return machine.gpus.find((gpu) => gpu.id !== undefined && (limits.gpu === null || gpu.id === limits.gpu));
}

function jobRequestParams(
  limits: Limits,
  machine: MachineFacts,
  networkDl: number,
  networkUp: number,
): JobRequestParams {
  const freeKiB = Math.floor(freemem() / 1024);
  const limitKiB = limits.memoryBytes === null ? freeKiB : Math.floor(limits.memoryBytes / 1024);
  const gpu = selectedGpu(limits, machine);
  return {
    computeMethod: computeMethodCode(limits.computeMethod),
    networkDl,
    networkUp,
    cores: limits.cores ?? machine.cpu.cores,
    memoryKiB: Math.min(limitKiB, freeKiB),
    maxFrameTimeSeconds: limits.maxFrameTimeSeconds ?? 0,
    ...(gpu?.type ? { gpu: { type: gpu.type, model: gpu.model, ramBytes: gpu.vramBytes } } : {}),
  };
}

function reportHeader(
  settings: AgentSettings,
  machine: MachineFacts,
  version: string,
  login: string,
): ReportHeader {
  return {
    login,
    hostname: settings.hostname ?? machine.hostname,
    osName: machine.osVersion,
    clientVersion: version,
    cpuName: machine.cpu.name,
    cores: settings.cores ?? machine.cpu.cores,
    ramKiB: machine.ramKiB,
  };
}

function configDump(settings: AgentSettings, machine: MachineFacts, hwid: string, version: string): string[] {
  const { password: _password, ...visible } = settings;
  return [
    `Flock agent ${AGENT_VERSION} (client version sent: ${version})`,
    `hwid: ${hwid}`,
    `machine: ${JSON.stringify(machine)}`,
    `settings: ${JSON.stringify(visible)}`,
  ];
}
