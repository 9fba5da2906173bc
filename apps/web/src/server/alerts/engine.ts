import type { AgentEvent } from '@flock/protocol';
import type { AlertsRepo } from '../db/alerts-repo';
import type { Fleet } from '../link/fleet';
import { log } from '../log';
import type { MachineRecord } from '../views';
import {
  type Condition,
  evaluateRules,
  expectsFrames,
  isCrashCode,
  type MachineHistory,
  trackUploadQueue,
} from './rules';
import { ALERT_RULES, type AlertRule, type AlertSettings } from './settings';
import { type AlertEvidence, type AlertNotice, EVIDENCE_CRASH_CHARS, EVIDENCE_LOG_LINES } from './types';

/**
 * One incident per (rule, machine): `pending` while its condition holds for less than the rule's
 * delay, then `firing` (stored, delivered once), and gone again when the condition ends (the stored
 * alert resolved, delivered once more). A condition that ends while pending leaves no trace.
 */
type Incident = { phase: 'pending'; since: number } | { phase: 'firing'; alertId: number };

export interface AlertEngineOptions {
  fleet: Fleet;
  repo: AlertsRepo;
  settings: () => AlertSettings;
  /** Called once per fired and once per resolved incident; must not throw or block. */
  notify: (notice: AlertNotice) => void;
  now: () => number;
  /** How often every machine is evaluated (time-based rules); events are evaluated as they come. */
  tickMs?: number;
}

const key = (rule: AlertRule, machineId: string) => `${rule}\n${machineId}`;

export class AlertEngine {
  private readonly incidents = new Map<string, Incident>();
  private readonly histories = new Map<string, MachineHistory>();
  private timer: NodeJS.Timeout | undefined;
  /** Evaluations run one at a time, so an incident is never stored or resolved twice. */
  private work: Promise<void> = Promise.resolve();

  constructor(private readonly options: AlertEngineOptions) {}

  /** Takes over the alerts still open in the database, then watches the fleet. */
  async start(): Promise<void> {
    for (const alert of await this.options.repo.open())
      this.incidents.set(key(alert.rule, alert.machineId), { phase: 'firing', alertId: alert.id });
    const { bus } = this.options.fleet;
    bus.on('machine', this.onMachine);
    bus.on('agentEvent', this.onEvent);
    bus.on('removed', this.onRemoved);
    this.timer = setInterval(() => this.evaluateAll(), this.options.tickMs ?? 5_000);
    this.timer.unref();
    this.evaluateAll();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    const { bus } = this.options.fleet;
    bus.off('machine', this.onMachine);
    bus.off('agentEvent', this.onEvent);
    bus.off('removed', this.onRemoved);
    await this.work;
  }

  /** Resolves once every evaluation queued so far has run (tests, shutdown). */
  settled(): Promise<void> {
    return this.work;
  }

  evaluateAll(): void {
    for (const summary of this.options.fleet.summaries()) this.schedule(summary.id);
  }

  private readonly onMachine = (machineId: string): void => this.schedule(machineId);

  private readonly onRemoved = (machineId: string): void => {
    // The machine's alerts went with it (cascade); its incidents end without a notice.
    for (const rule of ALERT_RULES) this.incidents.delete(key(rule, machineId));
    this.histories.delete(machineId);
  };

  private readonly onEvent = (machineId: string, event: AgentEvent): void => {
    const history = this.history(machineId);
    if (event.kind === 'frame-done') {
      Object.assign(history, { errorStreak: 0, crashed: false, lastFrameAt: this.options.now() });
      history.lastProject = event.project || history.lastProject;
    } else if (event.kind === 'error') {
      history.errorStreak += 1;
      history.lastError = { code: event.code, message: event.message, logExcerpt: event.logExcerpt };
      if (isCrashCode(event.code)) history.crashed = true;
    }
    this.schedule(machineId);
  };

  private history(machineId: string): MachineHistory {
    let history = this.histories.get(machineId);
    if (!history) {
      history = {
        errorStreak: 0,
        lastError: null,
        crashed: false,
        lastFrameAt: this.options.now(),
        workingSince: null,
        lastProject: null,
        uploadQueue: { last: 0, growingSince: null },
      };
      this.histories.set(machineId, history);
    }
    return history;
  }

  private schedule(machineId: string): void {
    this.work = this.work
      .then(() => this.evaluate(machineId))
      .catch((error: Error) => log('error', `alerts: evaluating ${machineId} failed: ${error.message}`));
  }

  private async evaluate(machineId: string): Promise<void> {
    const record = this.options.fleet.record(machineId);
    if (!record) return;
    const now = this.options.now();
    const history = this.history(machineId);
    const working = expectsFrames(record);
    if (working && history.workingSince === null) history.workingSince = now;
    if (!working) history.workingSince = null;
    if (record.state?.job?.project) history.lastProject = record.state.job.project;
    if (record.online && record.state) trackUploadQueue(history, record.state.uploads.queued, now);
    const verdicts = evaluateRules(this.options.settings().rules, record, history, now);
    for (const rule of ALERT_RULES) await this.step(rule, record, verdicts[rule], now);
  }

  /** One incident's transition for the rule's verdict now. */
  private async step(rule: AlertRule, record: MachineRecord, verdict: Condition, now: number): Promise<void> {
    const id = key(rule, record.id);
    const incident = this.incidents.get(id);
    if (!verdict.holds) {
      this.incidents.delete(id);
      if (incident?.phase === 'firing') await this.resolve(incident.alertId, now);
      return;
    }
    if (incident?.phase === 'firing') return;
    const since = incident?.since ?? now;
    if (now - since < verdict.delayMs) {
      this.incidents.set(id, { phase: 'pending', since });
      return;
    }
    const alertId = await this.options.repo.insert({
      machineId: record.id,
      rule,
      title: verdict.title,
      detail: verdict.detail,
      evidence: this.evidence(rule, record),
      firedAt: now,
    });
    this.incidents.set(id, { phase: 'firing', alertId });
    log('warn', `alerts: ${verdict.title} (alert ${alertId})`);
    await this.announce('fired', alertId);
  }

  private async resolve(alertId: number, now: number): Promise<void> {
    await this.options.repo.resolve(alertId, now);
    log('info', `alerts: alert ${alertId} resolved`);
    await this.announce('resolved', alertId);
  }

  private async announce(change: AlertNotice['change'], alertId: number): Promise<void> {
    const alert = await this.options.repo.get(alertId);
    if (alert) this.options.notify({ change, alert });
  }

  private evidence(rule: AlertRule, record: MachineRecord): AlertEvidence {
    const history = this.history(record.id);
    const withCrash = rule === 'crash' || rule === 'error-streak';
    return {
      logLines: (record.state?.recentLog ?? []).slice(-EVIDENCE_LOG_LINES),
      project: record.state?.job?.project ?? history.lastProject,
      crash:
        withCrash && history.lastError ? history.lastError.logExcerpt.slice(-EVIDENCE_CRASH_CHARS) : null,
    };
  }
}
