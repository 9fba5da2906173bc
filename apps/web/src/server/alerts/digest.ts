import type { ConsoleRepo } from '../db/repo';
import type { Fleet } from '../link/fleet';
import type { AlertDelivery } from './delivery';
import type { AlertSettings } from './settings';

const DAY_MS = 24 * 3_600_000;

/** The local calendar day of `at` ("2026-12-07"), in the console's time zone. */
function localDay(at: number): string {
  const date = new Date(at);
  return `${date.getFullYear()}-${date.getMonth() + 1}-${date.getDate()}`;
}

function localMinutes(at: number): number {
  const date = new Date(at);
  return date.getHours() * 60 + date.getMinutes();
}

/**
 * The daily digest (frames and credits of the last 24 h, machines down), sent once a day at the
 * configured local time. A console started after that time sends the next one tomorrow.
 */
export class DigestClock {
  private lastDay: string;

  constructor(
    private readonly options: {
      settings: () => AlertSettings;
      repo: ConsoleRepo;
      fleet: Fleet;
      delivery: AlertDelivery;
      now: () => number;
    },
  ) {
    this.lastDay = this.due(options.now()) ? localDay(options.now()) : '';
  }

  private due(at: number): boolean {
    const { at: time } = this.options.settings().digest;
    return localMinutes(at) >= Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
  }

  async tick(): Promise<void> {
    const now = this.options.now();
    if (!this.options.settings().digest.enabled || !this.due(now) || this.lastDay === localDay(now)) return;
    this.lastDay = localDay(now);
    const since = now - DAY_MS;
    const { frames, credits } = await this.options.repo.frameTotalsSince(since);
    const machines = this.options.fleet.summaries();
    const down = machines.filter((machine) => !machine.online).map((machine) => machine.name);
    this.options.delivery.broadcast({
      type: 'digest',
      title: `Flock daily digest: ${frames} frame(s), ${Math.round(credits)} credits`,
      text: [
        `Last 24 hours: ${frames} frame(s) delivered, ${Math.round(credits)} credits.`,
        `Machines: ${machines.length}, down: ${down.length}${down.length ? ` (${down.join(', ')})` : ''}.`,
      ].join('\n'),
      digest: { since, frames, credits, machines: machines.length, machinesDown: down },
    });
  }
}
