// install.sh and install.ps1 as the console serves them: the templates beside this file with the
// console's URL, the current agent build (URLs, SHA-256, minimum Node) and the certificate pin
// filled in. Nothing secret goes in: both are public routes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AgentManifest, CertPinSchema } from '@flock/protocol';

export type InstallScript = 'install.sh' | 'install.ps1';

const templates = new Map<InstallScript, string>();
function template(name: InstallScript): string {
  let text = templates.get(name);
  if (text === undefined) {
    text = readFileSync(join(import.meta.dirname, name), 'utf8');
    templates.set(name, text);
  }
  return text;
}

export interface ScriptValues {
  /** The console's origin, as the installing machine reaches it. */
  consoleUrl: string;
  manifest: AgentManifest;
  /** The console certificate's pin (`sha256//…`), or null on plain HTTP. */
  pin: string | null;
}

/** Every value goes inside single quotes in both languages: none may hold one (or a line break). */
function checked(values: ScriptValues): Record<string, string> {
  const { consoleUrl, manifest, pin } = values;
  if (new URL(consoleUrl).origin !== consoleUrl) throw new Error(`not an origin: ${consoleUrl}`);
  if (pin !== null && !CertPinSchema.safeParse(pin).success) throw new Error('not a certificate pin');
  const filled: Record<string, string> = {
    __CONSOLE__: consoleUrl,
    __PIN__: pin ?? '',
    __VERSION__: manifest.version,
    __MIN_NODE__: manifest.minNode,
    __AGENT_URL__: manifest.agent.url,
    __AGENT_SHA256__: manifest.agent.sha256,
    __LAUNCHER_URL__: manifest.launcher.url,
    __LAUNCHER_SHA256__: manifest.launcher.sha256,
  };
  for (const [key, value] of Object.entries(filled))
    if (/['"`$\\\s]/.test(value)) throw new Error(`${key} holds a character scripts would interpret`);
  return filled;
}

export function installScript(name: InstallScript, values: ScriptValues): string {
  const filled = checked(values);
  return template(name).replace(/__[A-Z0-9_]+__/g, (key) => filled[key] ?? key);
}
