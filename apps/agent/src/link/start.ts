import { type Clock, systemClock } from '../clock';
import { LinkClient } from './client';
import { defaultConfigDir, LINK_CREDENTIALS_FILE, loadLinkCredentials, saveMachineName } from './credentials';
import type { LinkedAgent, LinkLogger } from './linked-agent';

export interface ConsoleLinkOptions {
  agentVersion: string;
  /** Where `pair` stored the credentials (the agent's config dir). */
  configDir?: string;
  log?: LinkLogger;
  clock?: Clock;
  /** How often the credentials are read again while the console has removed this machine (default 5 s). */
  credentialsCheckMs?: number;
  /** Called each time the console welcomes this agent (an installed agent confirms its new version). */
  onConnected?: () => void;
}

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
  const configDir = options.configDir ?? defaultConfigDir();
  const credentials = await loadLinkCredentials(configDir);
  if (!credentials) return null;
  agent.linkStarted?.();
  if (credentials.machineName) agent.applyMachineName?.(credentials.machineName);
  const log = options.log ?? (() => {});
  const client = new LinkClient({
    ...credentials,
    agent,
    agentVersion: options.agentVersion,
    credentialsSource: () => loadLinkCredentials(configDir),
    rememberMachineName: (machineId, name) =>
      saveMachineName(configDir, machineId, name).catch((error: Error) =>
        log('warn', `cannot keep the console's name for this machine: ${error.message}`),
      ),
    ...(options.credentialsCheckMs ? { credentialsCheckMs: options.credentialsCheckMs } : {}),
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

/** How often an unpaired running agent looks for the credentials `pair` stores. */
export const PAIRING_CHECK_MS = 2000;

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
  options: ConsoleLinkOptions & { checkEveryMs?: number },
): Promise<ConsoleLinkHandle> {
  let client = await startConsoleLink(agent, options);
  const stopping = new AbortController();
  const log = options.log ?? (() => {});
  const clock = options.clock ?? systemClock;
  const watch = async () => {
    log(
      'info',
      `not paired with a console: rendering unlinked until \`pair\` stores ${LINK_CREDENTIALS_FILE}`,
    );
    while (!client && !stopping.signal.aborted) {
      await clock.sleep(options.checkEveryMs ?? PAIRING_CHECK_MS, stopping.signal).catch(() => undefined);
      if (stopping.signal.aborted) return;
      client = await startConsoleLink(agent, options).catch((error: Error) => {
        log('warn', `console link: ${error.message}`);
        return null;
      });
    }
    log('info', 'paired with a console: linking');
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
