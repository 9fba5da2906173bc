/**
 * `hwid`: a pseudonymous machine id the farm uses to recognise a machine across sessions.
 *
 * It is HMAC-SHA256, keyed with a fixed Flock key, over the machine's identifying facts, truncated to
 * 128 bits and rendered as 32 lower-case hex digits. Why it cannot be turned back into serials or MACs:
 *  - HMAC-SHA256 is one-way: the only way back is guessing inputs and comparing outputs;
 *  - the input always contains a high-entropy value the farm never sees: the OS machine id
 *    (`/etc/machine-id`, 128 random bits written at install) or, where there is none, a random 256-bit
 *    secret this agent stores in its state dir. Guessing a MAC (48 bits, fewer with a known vendor
 *    prefix) is therefore useless without also guessing 128+ random bits;
 *  - truncation to 128 bits leaves many inputs per output, so even a match would not single one out.
 * It is stable across restarts because every input is: the machine id (or stored secret), hardware UUID,
 * board serial and CPU name. MAC addresses are used only when none of the stable ids exist, because
 * virtual interfaces come and go.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Fixed key: changing it changes every machine's hwid, so it is versioned in the message instead. */
const HWID_KEY = 'flock-agent/hwid/7d3c9f1e-2b64-4e0a-9a51-c0f4e8d2b6a3';
const HWID_VERSION = 'v1';
const SECRET_FILE = 'hwid-secret';

export interface HwidSources {
  /** OS install id (`/etc/machine-id`, macOS IOPlatformUUID, Windows MachineGuid); '' when none. */
  machineId: string;
  /** SMBIOS system UUID; '' when unreadable (often needs root). */
  hardwareUuid: string;
  /** Board / system serial; '' or '-' when unreadable. */
  systemSerial: string;
  cpuName: string;
  macs: string[];
  /** Random secret from the state dir, used when there is no machine id. */
  installSecret?: string;
}

const MEANINGLESS = new Set(['', '-', 'unknown', 'none', 'default string', 'to be filled by o.e.m.']);

function meaningful(value: string): string {
  const trimmed = value.trim();
  return MEANINGLESS.has(trimmed.toLowerCase()) ? '' : trimmed;
}

export function computeHwid(sources: HwidSources): string {
  const stableIds = [sources.machineId, sources.hardwareUuid, sources.systemSerial].map(meaningful);
  const macs = stableIds.some(Boolean)
    ? []
    : sources.macs.map((mac) => mac.toLowerCase()).filter((mac) => !/^(00:){5}00$/.test(mac));
  const message = [
    HWID_VERSION,
    ...stableIds,
    sources.installSecret ?? '',
    meaningful(sources.cpuName),
    [...new Set(macs)].sort().join(' '),
  ].join('\n');
  return createHmac('sha256', HWID_KEY).update(message).digest('hex').slice(0, 32);
}

/** Reads (or creates, 0600) the per-install secret used when the OS has no machine id. */
export async function loadInstallSecret(stateDir: string): Promise<string> {
  const path = join(stateDir, SECRET_FILE);
  try {
    const stored = (await readFile(path, 'utf8')).trim();
    if (/^[0-9a-f]{64}$/.test(stored)) return stored;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = randomBytes(32).toString('hex');
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeFile(path, `${secret}\n`, { mode: 0o600 });
  return secret;
}
