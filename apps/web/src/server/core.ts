import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CertPin } from '@flock/protocol';
import { Alerts } from './alerts/service';
import { AuditTrail } from './audit/trail';
import { Accounts } from './auth/accounts';
import { AuthService } from './auth/service';
import { type MachineActivity, machineActivity, startOfLocalDay } from './db/activity-repo';
import { AuditRepo } from './db/audit-repo';
import { openDatabase } from './db/client';
import { ConsoleRepo } from './db/repo';
import { TagsRepo } from './db/tags-repo';
import { TimelineRepo } from './db/timeline-repo';
import { SecretBox } from './farm-account/secret-box';
import { FarmAccountStore } from './farm-account/store';
import { FleetSettingsStore } from './fleet-settings';
import { HistoryRepo } from './history/repo';
import { HistoryService } from './history/service';
import { AgentBuilds } from './install/builds';
import { Fleet } from './link/fleet';
import { LinkHub } from './link/hub';
import { IdleSpans } from './link/idle-spans';
import { log } from './log';
import { PAIRING_CODE_TTL_MS, Pairing } from './pairing';
import { ProfilesRepo } from './profiles/repo';
import { ProfileService } from './profiles/service';
import { Sweeper } from './sweeper';
import type { ConsoleTransport } from './tls/transport';
import { Rollouts } from './updates/rollout';

export interface ConsoleOptions {
  dataDir: string;
  /** Origins browsers may use besides IP/localhost ones, e.g. https://flock.example.org. */
  publicOrigins?: string[];
  secureCookies?: boolean;
  heartbeatMs?: number;
  commandMaxAgeMs?: number;
  ackWaitMs?: number;
  pairingCodeTtlMs?: number;
  /** Headless installs: sets the admin password on first start. */
  adminPassword?: string;
  /** How often expired sessions and spent pairing codes are deleted (default 5 minutes). */
  sweepIntervalMs?: number;
  /** The console's clock; tests pass a fake one. */
  now?: () => number;
  /** The agent's dist/ (flock-agent.mjs, launcher.mjs, build.json): a new build there is served. */
  agentDist?: string;
  /** How the console is served (default plain HTTP on loopback). */
  transport?: ConsoleTransport;
  /** The pin of the certificate it serves over HTTPS, for "Add machine"; null on plain HTTP. */
  certificatePin?: CertPin | null;
  /** `FLOCK_ALERT_WEBHOOK_URL`: alerts also go to this generic JSON webhook. */
  alertWebhookUrl?: string;
  /** How often alert rules are checked (default 5 s); tests use less. */
  alertTickMs?: number;
  /** Webhook posts: timeout per attempt, retries, back-off (defaults 10 s, 3, 1 s doubling). */
  alertDelivery?: { timeoutMs?: number; retries?: number; backoffMs?: number };
}

/** Everything the console's server side is made of; one per process, handed to each request by the custom server. */
export interface ConsoleCore {
  repo: ConsoleRepo;
  /** A machine's per-frame timeline: jobs with their phases, idle spans. */
  timeline: TimelineRepo;
  /** Frames, credits, errors and connected time per hour and day, kept for years. */
  history: HistoryService;
  fleet: Fleet;
  /** The machines' tags, stored; the fleet holds a copy for the live views. */
  tags: TagsRepo;
  /** Every machine's frames, credits and errors from the database (one grouped query each call). */
  machineActivity(): Promise<MachineActivity[]>;
  fleetSettings: FleetSettingsStore;
  farmAccounts: FarmAccountStore;
  hub: LinkHub;
  /** Named limits and rules, who follows them, previews and applying. */
  profiles: ProfileService;
  alerts: Alerts;
  auth: AuthService;
  accounts: Accounts;
  /** Who did what to which machine, written by every accepted mutation (api/audited.ts). */
  audit: AuditTrail;
  pairing: Pairing;
  sweeper: Sweeper;
  allowedOrigins: string[];
  secureCookies: boolean;
  /** The agent builds served for installs and updates. */
  agentBuilds: AgentBuilds;
  /** Rolling an agent build out to the machines (canary first). */
  rollouts: Rollouts;
  transport: ConsoleTransport;
  certificatePin: CertPin | null;
  now: () => number;
  close(): Promise<void>;
}

export async function createConsoleCore(options: ConsoleOptions): Promise<ConsoleCore> {
  const now = options.now ?? Date.now;
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const database = openDatabase(join(options.dataDir, 'console.sqlite'));
  const history = new HistoryService(new HistoryRepo(database.db), now);
  const repo = new ConsoleRepo(database.db, history.repo);
  const fleet = new Fleet(repo, now, history);
  await fleet.load();
  const tags = new TagsRepo(database.db);
  for (const [id, machineTags] of await tags.all()) fleet.setTags(id, machineTags);
  const fleetSettings = new FleetSettingsStore(repo, fleet.bus, now);
  await fleetSettings.load();
  const farmAccounts = new FarmAccountStore(repo, SecretBox.open(options.dataDir), fleet.bus, now);
  await farmAccounts.load();
  const timeline = new TimelineRepo(database.db);
  const idleSpans = new IdleSpans(timeline, now);
  await idleSpans.start();
  fleet.bus.on('removed', (id) => idleSpans.forget(id));
  const hub = new LinkHub(fleet, repo, {
    heartbeatMs: options.heartbeatMs ?? 5_000,
    commandMaxAgeMs: options.commandMaxAgeMs ?? 60_000,
    ackWaitMs: options.ackWaitMs ?? 5_000,
    now,
    fleetSettings: () => fleetSettings.settings,
    farmAccount: (machineId) => farmAccounts.accountFor(machineId),
    idleSpans,
  });
  const alerts = await Alerts.start({
    db: database.db,
    repo,
    fleet,
    now,
    envWebhookUrl: options.alertWebhookUrl,
    ...(options.alertTickMs ? { tickMs: options.alertTickMs } : {}),
    ...(options.alertDelivery ? { delivery: options.alertDelivery } : {}),
  });
  const auth = new AuthService(repo, now);
  if (options.adminPassword && (await auth.needsSetup())) await auth.createAdmin(options.adminPassword);
  const persister = setInterval(() => void fleet.persistDirty(), 30_000);
  persister.unref();
  const agentBuilds = await AgentBuilds.load({
    dataDir: options.dataDir,
    now,
    ...(options.agentDist ? { agentDist: options.agentDist } : {}),
  });
  const audit = new AuditTrail(new AuditRepo(database.db), (id) => fleet.summary(id)?.name);
  const rollouts = new Rollouts({
    dataDir: options.dataDir,
    fleet,
    builds: agentBuilds,
    send: (machineId, command) => hub.command(machineId, command),
    now,
  });
  const sweeper = new Sweeper(repo, now, {
    ...(options.sweepIntervalMs ? { intervalMs: options.sweepIntervalMs } : {}),
    audit,
    timeline,
    history,
  });
  sweeper.start();
  log('info', `console: data in ${options.dataDir}`);
  return {
    repo,
    timeline,
    history,
    fleet,
    tags,
    machineActivity: () => {
      const at = now();
      return machineActivity(database.db, { now: at, todayStart: startOfLocalDay(at) });
    },
    fleetSettings,
    farmAccounts,
    hub,
    profiles: new ProfileService(
      new ProfilesRepo(database.db),
      fleet,
      (machineId, command) => hub.command(machineId, command),
      now,
    ),
    alerts,
    auth,
    accounts: new Accounts(repo, auth, now),
    audit,
    sweeper,
    pairing: new Pairing(repo, fleet, now, options.pairingCodeTtlMs ?? PAIRING_CODE_TTL_MS),
    allowedOrigins: options.publicOrigins ?? [],
    secureCookies: options.secureCookies ?? false,
    agentBuilds,
    rollouts,
    transport: options.transport ?? 'http-loopback',
    certificatePin: options.certificatePin ?? null,
    now,
    async close() {
      clearInterval(persister);
      rollouts.close();
      await sweeper.stop();
      hub.close();
      await history.flushOnline();
      await alerts.stop();
      await fleet.persistDirty();
      database.close();
    },
  };
}
