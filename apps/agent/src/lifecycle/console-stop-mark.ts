// The console's Stop outlives the process: a mark file in the cache dir says the user stopped this
// machine from the console, so a restart, an update or a reboot brings it back stopped, waiting
// linked for Start. Start (or a resume that cancels the stop) removes it. Written synchronously: the
// stop is often followed at once by the restart's exit.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const CONSOLE_STOP_MARK_FILE = 'stopped-from-console.json';

export class ConsoleStopMark {
  private readonly file: string;

  constructor(cacheDir: string) {
    this.file = path.join(cacheDir, CONSOLE_STOP_MARK_FILE);
  }

  /** True while the console's Stop holds; only the file's presence counts, whatever it holds. */
  get present(): boolean {
    return existsSync(this.file);
  }

  /** Throws when the cache dir cannot be written: the caller logs it, the stop still applies. */
  set(at: number): void {
    writeFileSync(this.file, `${JSON.stringify({ stoppedAt: at })}\n`, { mode: 0o600 });
  }

  clear(): void {
    rmSync(this.file, { force: true });
  }
}
