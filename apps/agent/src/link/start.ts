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
}

/**
 * Connects a paired agent to its console, or returns null when this agent was never paired. The
 * agent keeps working without the console either way; call `stop()` on the result at shutdown.
 */
export async function startConsoleLink(
  agent: LinkedAgent,
  options: ConsoleLinkOptions,
): Promise<LinkClient | null> {
  const credentials = await loadLinkCredentials(options.configDir ?? defaultConfigDir());
  if (!credentials) return null;
  agent.linkStarted?.();
  const client = new LinkClient({
    ...credentials,
    agent,
    agentVersion: options.agentVersion,
    ...(options.log ? { log: options.log } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  client.start();
  return client;
}
