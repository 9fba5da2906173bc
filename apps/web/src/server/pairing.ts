import { randomUUID } from 'node:crypto';
import { normalizePairingCode, type PairRequest, type PairResponse } from '@flock/protocol';
import { RateLimiter } from './auth/rate-limit';
import { hashToken, newPairingCode, newToken } from './auth/tokens';
import type { ConsoleRepo } from './db/repo';
import type { Fleet } from './link/fleet';
import { log } from './log';

export const PAIRING_CODE_TTL_MS = 10 * 60_000;
/** Pairing attempts per minute from one address. */
const PAIRING_ATTEMPTS_PER_CLIENT = 10;
/** Pairing attempts per minute from all addresses together: many addresses cannot add up. */
const PAIRING_ATTEMPTS_PER_CONSOLE = 60;
const EVERYONE = '*';

export class PairingRefused extends Error {
  constructor(
    readonly status: 403 | 429,
    message: string,
  ) {
    super(message);
  }
}

/** One-time, short-lived codes that an agent trades for its own secret. */
export class Pairing {
  private readonly perClient: RateLimiter;
  private readonly perConsole: RateLimiter;

  constructor(
    private readonly repo: ConsoleRepo,
    private readonly fleet: Fleet,
    private readonly now: () => number,
    private readonly ttlMs = PAIRING_CODE_TTL_MS,
  ) {
    this.perClient = new RateLimiter(PAIRING_ATTEMPTS_PER_CLIENT, 60_000, now);
    this.perConsole = new RateLimiter(PAIRING_ATTEMPTS_PER_CONSOLE, 60_000, now);
  }

  async createCode(): Promise<{ code: string; expiresAt: number }> {
    const code = newPairingCode();
    const now = this.now();
    await this.repo.createPairingCode(hashToken(normalizePairingCode(code)), now, now + this.ttlMs);
    return { code, expiresAt: now + this.ttlMs };
  }

  async redeem(request: PairRequest, client: string): Promise<PairResponse> {
    this.countAttempt(client);
    const machineId = randomUUID();
    const used = await this.repo.consumePairingCode(
      hashToken(normalizePairingCode(request.code)),
      machineId,
      this.now(),
    );
    if (!used) {
      log('warn', `pairing: refused an unknown, used or expired code from ${client}`);
      throw new PairingRefused(403, 'pairing code unknown, already used or expired');
    }
    const secret = newToken();
    await this.repo.createMachine(machineId, request.hostname, hashToken(secret), this.now());
    const row = await this.repo.getMachine(machineId);
    if (row) this.fleet.add(row);
    log('info', `pairing: machine ${machineId} (${request.hostname}) paired`);
    return { machineId, secret };
  }

  /** Both limits are checked, then both counted, before anything is awaited: they hold under concurrency. */
  private countAttempt(client: string): void {
    if (this.perClient.limited(client))
      throw new PairingRefused(429, 'too many pairing attempts from this address, wait a minute');
    if (this.perConsole.limited(EVERYONE)) {
      log('warn', `pairing: console-wide limit reached (${PAIRING_ATTEMPTS_PER_CONSOLE} a minute)`);
      throw new PairingRefused(429, 'too many pairing attempts on this console, wait a minute');
    }
    this.perClient.record(client);
    this.perConsole.record(EVERYONE);
  }
}
