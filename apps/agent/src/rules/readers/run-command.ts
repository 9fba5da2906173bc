// Runs a system tool for a fact reader: its stdout, or undefined when the tool is missing, fails,
// takes too long or prints too much (a fact it cannot read is null, never an error).
import { execFile } from 'node:child_process';

export type CommandRunner = (file: string, args: readonly string[]) => Promise<string | undefined>;

/** A tool that does not answer within this is killed; a fact read every few seconds must stay cheap. */
const COMMAND_TIMEOUT_MS = 5_000;
/** Output beyond this is refused: a Windows task list of 2,000 processes is about 200 KiB. */
const COMMAND_MAX_BYTES = 4 * 1024 * 1024;

export const runCommand: CommandRunner = (file, args) =>
  new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { timeout: COMMAND_TIMEOUT_MS, maxBuffer: COMMAND_MAX_BYTES, windowsHide: true, encoding: 'utf8' },
      (error, stdout) => resolve(error ? undefined : stdout),
    );
  });
