// The resident memory of Blender's process tree, per platform:
//   - Linux: /proc, read directly (µs per sample; render/process-tree.ts);
//   - macOS and the BSDs: one `ps -A -o pid=,ppid=,rss=` per sample (RSS in KiB, POSIX columns);
//   - Windows: Get-CimInstance Win32_Process (ProcessId, ParentProcessId, WorkingSetSize in bytes) in
//     one PowerShell session kept for the render (wmic, which older tools use, is gone from current
//     Windows 11; a new PowerShell per sample would cost 0.5–1 s each).
// Where none of these works the sampler says why once (`unavailable`), and the caller logs it.
import { execFile } from 'node:child_process';
import { PowerShellSession } from './powershell-session.js';
import { parseProcessRows, treeRssKiB } from './process-table.js';
import { ProcessTreeSampler } from './process-tree.js';

/** The system commands the samplers and the tree kill run; tests point them at recorded outputs. */
export interface SystemCommands {
  ps: string;
  powershell: string;
  taskkill: string;
}

export const DEFAULT_SYSTEM_COMMANDS: SystemCommands = {
  ps: 'ps',
  powershell: 'powershell.exe',
  taskkill: 'taskkill.exe',
};

export interface TreeMemorySampler {
  /** KiB; undefined when there is no figure this time (the tree is gone, or the platform cannot tell). */
  sample(): Promise<number | undefined>;
  /** Set once the platform turned out unable to measure: why, for one log line. */
  readonly unavailable: string | undefined;
  /** The shortest sensible period between samples (a spawned command costs milliseconds). */
  readonly minPeriodMs: number;
  close(): void;
}

const PS_ARGS = ['-A', '-o', 'pid=,ppid=,rss='];
const CIM_COMMAND =
  "$ProgressPreference = 'SilentlyContinue'; " +
  'Get-CimInstance -ClassName Win32_Process -Property ProcessId,ParentProcessId,WorkingSetSize | ' +
  'ForEach-Object { "$($_.ProcessId) $($_.ParentProcessId) $($_.WorkingSetSize)" }';
const PS_MAX_BUFFER = 64 * 1024 * 1024;
const SPAWNED_SAMPLE_MIN_PERIOD_MS = 1_000;

export function createTreeMemorySampler(
  rootPid: number,
  platform: NodeJS.Platform,
  commands: SystemCommands = DEFAULT_SYSTEM_COMMANDS,
): TreeMemorySampler {
  if (platform === 'linux' || platform === 'android') return new ProcSampler(rootPid);
  if (platform === 'win32') return new SnapshotSampler(rootPid, windowsSnapshot(commands.powershell));
  if (['darwin', 'freebsd', 'openbsd', 'netbsd', 'sunos', 'aix'].includes(platform)) {
    return new SnapshotSampler(rootPid, psSnapshot(commands.ps));
  }
  return new SnapshotSampler(rootPid, {
    read: () => Promise.reject(new Error(`no way to read process memory on ${platform}`)),
    close: () => undefined,
  });
}

class ProcSampler implements TreeMemorySampler {
  readonly minPeriodMs = 0;
  private readonly tree: ProcessTreeSampler;
  private misses = 0;
  private measured = false;
  unavailable: string | undefined;

  constructor(rootPid: number) {
    this.tree = new ProcessTreeSampler(rootPid);
  }

  async sample(): Promise<number | undefined> {
    const rss = this.tree.rssKiB();
    if (rss !== undefined) this.measured = true;
    // Never measured although this agent just spawned the process: /proc is missing or unreadable
    // (some containers), not a process that is gone.
    else if (!this.measured && ++this.misses === 3) this.unavailable = '/proc/<pid>/status is not readable';
    return rss;
  }

  close(): void {}
}

/** Where a snapshot of every process comes from: text, and the unit of its memory column. */
interface ProcessSnapshotSource {
  read(): Promise<{ text: string; unitBytes: number }>;
  close(): void;
}

class SnapshotSampler implements TreeMemorySampler {
  readonly minPeriodMs = SPAWNED_SAMPLE_MIN_PERIOD_MS;
  unavailable: string | undefined;
  private measured = false;

  constructor(
    private readonly rootPid: number,
    private readonly source: ProcessSnapshotSource,
  ) {}

  async sample(): Promise<number | undefined> {
    if (this.unavailable) return undefined;
    try {
      const { text, unitBytes } = await this.source.read();
      const rows = parseProcessRows(text, unitBytes);
      // A snapshot with no process in it is not a snapshot: the command printed something else.
      if (rows.length === 0) throw new Error('the process list was empty or unreadable');
      const rss = treeRssKiB(rows, this.rootPid);
      if (rss !== undefined) this.measured = true;
      return rss;
    } catch (error) {
      // Once it has worked, a failure is the render ending (the session closed), not the platform.
      if (!this.measured) this.unavailable = error instanceof Error ? error.message : String(error);
      return undefined;
    }
  }

  close(): void {
    this.source.close();
  }
}

function psSnapshot(ps: string): ProcessSnapshotSource {
  return {
    read: () =>
      new Promise((resolve, reject) => {
        execFile(ps, PS_ARGS, { maxBuffer: PS_MAX_BUFFER, windowsHide: true }, (error, stdout) => {
          if (error) reject(new Error(`${ps} ${PS_ARGS.join(' ')} failed: ${error.message}`));
          else resolve({ text: stdout, unitBytes: 1024 });
        });
      }),
    close: () => undefined,
  };
}

function windowsSnapshot(powershell: string): ProcessSnapshotSource {
  const session = new PowerShellSession(powershell);
  return {
    read: async () => ({ text: await session.run(CIM_COMMAND), unitBytes: 1 }),
    close: () => session.close(),
  };
}
