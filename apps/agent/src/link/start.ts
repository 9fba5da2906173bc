import { randomUUID } from 'node:crypto';
import type { LinkCredentials } from '@flock/protocol';
import { type Clock, systemClock } from '../clock';
import { LinkClient } from './client';
import { defaultConfigDir, LINK_CREDENTIALS_FILE, loadLinkCredentials, saveMachineName } from './credentials';
import type { LinkedAgent, LinkLogger } from './linked-agent';
import { Outbox } from './outbox';
import { waitForPairing } from './pairing-wait';

export interface ConsoleLinkOptions {
  agentVersion: string;
  /** Where `pair` stored the credentials (the agent's config dir). */
  configDir?: string;
  log?: LinkLogger;
  clock?: Clock;
  /** How often the stored credentials are read while waiting for `pair` (default PAIRING_CHECK_MS). */
  pairingCheckMs?: number;
  /** Called each time the console welcomes this agent (an installed agent confirms its new version). */
  onConnected?: () => void;
  /**
   * The journal of the events the console has not acknowledged (OUTBOX_JOURNAL_FILE in the agent's
   * cache dir): they reach the console after a restart too. Without it they are kept in memory only.
   */
  outboxJournal?: string;
}

/** The most events kept for a console that is away. */
const OUTBOX_CAPACITY = 500;

/**
 * Connects a paired agent to its console, or returns null when this agent was never paired. The
 * agent keeps working without the console either way; call `stop()` on the result at shutdown. When
 * the console removes the machine the link stops dialling and the agent says so; a new `pair` (while
 * it runs, or before the next start) links it again.
 */
export async function startConsoleLink(
  agent: LinkedAgent,
  options: ConsoleLinkOptions,
): Promise<LinkClient | null> {
  const credentials = await loadLinkCredentials(configDirOf(options));
  return credentials ? await linkWith(agent, credentials, options) : null;
}

function configDirOf(options: ConsoleLinkOptions): string {
  return options.configDir ?? defaultConfigDir();
}

async function linkWith(
  agent: LinkedAgent,
  credentials: LinkCredentials,
  options: ConsoleLinkOptions,
): Promise<LinkClient> {
  const configDir = configDirOf(options);
  agent.linkStarted?.();
  if (credentials.machineName) agent.applyMachineName?.(credentials.machineName);
  const log = options.log ?? (() => {});
  const outbox = await Outbox.open({
    bootId: randomUUID(),
    capacity: OUTBOX_CAPACITY,
    log,
    ...(options.outboxJournal ? { journal: options.outboxJournal } : {}),
  });
  const client = new LinkClient({
    ...credentials,
    agent,
    outbox,
    agentVersion: options.agentVersion,
    credentialsSource: () => loadLinkCredentials(configDir),
    rememberMachineName: (machineId, name) =>
      saveMachineName(configDir, machineId, name).catch((error: Error) =>
        log('warn', `cannot keep the console's name for this machine: ${error.message}`),
      ),
    ...(options.pairingCheckMs ? { pairingCheckMs: options.pairingCheckMs } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const report = () => agent.consoleLinkChanged?.({ url: client.consoleUrl, removedAt: client.removedAt });
  client.onStatus(report);
  client.onStatus((status) => {
    if (status === 'connected') options.onConnected?.();
  });
  report();
  client.start();
  return client;
}

export interface ConsoleLinkHandle {
  /** The link once the agent is paired; undefined before. */
  readonly client: LinkClient | undefined;
  stop(): Promise<void>;
}

/**
 * The console link of `flock-agent run`: connected at once when the agent is paired; otherwise the
 * agent renders unlinked and links as soon as `pair` (run while it works, as `npm start` does once
 * the console is up) has stored its credentials — no restart needed. Damaged credentials at start
 * throw (PairingError); found damaged later they are logged and looked at again.
 */
export async function linkWhenPaired(
  agent: LinkedAgent,
  options: ConsoleLinkOptions,
): Promise<ConsoleLinkHandle> {
  let client = await startConsoleLink(agent, options);
  const stopping = new AbortController();
  const log = options.log ?? (() => {});
  const watch = async () => {
    log(
      'info',
      `not paired with a console: rendering unlinked until \`pair\` stores ${LINK_CREDENTIALS_FILE}`,
    );
    const credentials = await waitForPairing({
      source: () => loadLinkCredentials(configDirOf(options)),
      ...(options.pairingCheckMs ? { checkMs: options.pairingCheckMs } : {}),
      clock: options.clock ?? systemClock,
      signal: stopping.signal,
      onUnreadable: (error) => log('warn', `console link: ${error.message}`),
    });
    if (!credentials) return;
    log('info', 'paired with a console: linking');
    client = await linkWith(agent, credentials, options);
  };
  const watching = client ? Promise.resolve() : watch();
  return {
    get client() {
      return client ?? undefined;
    },
    async stop() {
      stopping.abort();
      await watching;
      await client?.stop();
    },
  };
}
