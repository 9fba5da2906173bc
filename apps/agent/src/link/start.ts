import type { Clock } from '../clock';
import { LinkClient } from './client';
import { defaultConfigDir, loadLinkCredentials } from './credentials';
import type { LinkedAgent, LinkLogger } from './linked-agent';

export interface ConsoleLinkOptions {
  agentVersion: string;
  /** Where `pair` stored the credentials (the agent's config dir). */
  configDir?: string;
  log?: LinkLogger;
  clock?: Clock;
  /** How often the credentials are read again while the console has removed this machine (default 5 s). */
  credentialsCheckMs?: number;
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
  const client = new LinkClient({
    ...credentials,
    agent,
    agentVersion: options.agentVersion,
    credentialsSource: () => loadLinkCredentials(configDir),
    ...(options.credentialsCheckMs ? { credentialsCheckMs: options.credentialsCheckMs } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const report = () => agent.consoleLinkChanged?.({ url: client.consoleUrl, removedAt: client.removedAt });
  client.onStatus(report);
  report();
  client.start();
  return client;
}
