// One long-lived PowerShell process that runs commands sent on its standard input, one at a time.
// Starting PowerShell costs 0.5–1 s, too much for a sample taken every second; a command in a
// running session costs only the command. (The same technique as systeminformation's
// powerShellStart: `-NoExit -Command -` reads and runs one line after another.)
import { type ChildProcess, spawn } from 'node:child_process';

/** Printed after every command's output: the end of one answer on the shared stdout. */
const END_MARKER = '--flock-powershell-end--';
/** An answer longer than this is refused (and the session closed): a process list is far smaller. */
const MAX_ANSWER_CHARS = 16 * 1024 * 1024;
const ARGS = ['-NoProfile', '-NoLogo', '-InputFormat', 'Text', '-NoExit', '-Command', '-'];

export class PowerShellError extends Error {
  override readonly name = 'PowerShellError';
}

export class PowerShellSession {
  private child: ChildProcess | undefined;
  private buffer = '';
  private pending: { resolve: (text: string) => void; reject: (error: Error) => void } | undefined;
  private failure: Error | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  /** `executable`: `powershell.exe` (Windows PowerShell 5.1, present on every Windows 10 and 11). */
  constructor(
    private readonly executable: string,
    private readonly timeoutMs = 15_000,
  ) {}

  /** Runs one command and resolves with what it printed; rejects once the session has failed. */
  run(command: string): Promise<string> {
    const answer = this.queue.then(() => this.send(command));
    this.queue = answer.catch(() => undefined);
    return answer;
  }

  close(): void {
    const child = this.child;
    this.child = undefined;
    this.fail(new PowerShellError('the PowerShell session was closed'));
    if (child && child.exitCode === null) {
      child.stdin?.end();
      child.kill();
    }
  }

  private send(command: string): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    const child = this.child ?? this.start();
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => this.fail(new PowerShellError(`PowerShell did not answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      this.pending = {
        resolve: (text) => {
          clearTimeout(timer);
          resolve(text);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      child.stdin?.write(`${command}; '${END_MARKER}'\r\n`);
    });
  }

  private start(): ChildProcess {
    const child = spawn(this.executable, ARGS, { stdio: ['pipe', 'pipe', 'ignore'], windowsHide: true });
    this.child = child;
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => this.onOutput(chunk));
    child.on('error', (error) =>
      this.fail(new PowerShellError(`cannot run ${this.executable}: ${error.message}`)),
    );
    child.on('close', (code) => this.fail(new PowerShellError(`PowerShell exited (code ${code})`)));
    child.stdin?.on('error', () => undefined); // a dead session is reported through 'close'
    return child;
  }

  private onOutput(chunk: string): void {
    this.buffer += chunk;
    const end = this.buffer.indexOf(END_MARKER);
    if (end < 0) {
      if (this.buffer.length > MAX_ANSWER_CHARS) this.fail(new PowerShellError('PowerShell answer too long'));
      return;
    }
    const answer = this.buffer.slice(0, end);
    this.buffer = this.buffer.slice(end + END_MARKER.length).replace(/^\r?\n/, '');
    const pending = this.pending;
    this.pending = undefined;
    pending?.resolve(answer);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(this.failure);
    if (this.child && this.child.exitCode === null) this.child.kill();
  }
}
