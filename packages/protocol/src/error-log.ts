import { errorType } from './codes';

/** What the header of an error report's log says about machine, job and error (docs/protocol.md §9). */
export interface ErrorLogInput {
  login: string;
  hostname: string;
  osName: string;
  clientVersion: string;
  cpuName: string;
  cores: number;
  ramKiB: number;
  /** Only for GPU and CPU+GPU sessions. */
  gpu?: { id: string; model: string; vramBytes: number };
  project?: { name: string; id: string; frame: string; blenderVersion?: string };
  /** An ErrorType code; its name is printed. */
  errorType: number;
  /** The job's log lines (client and Blender output), already formatted, oldest first. */
  lines: readonly string[];
}

const RULE = '='.repeat(100);
const KIB_PER_GB = 1024 * 1024;

const gigabytes = (kib: number) => (kib / KIB_PER_GB).toFixed(1);

/** The text file sent as the `file` part of an error report, laid out like the official client's. */
export function renderErrorLog(input: ErrorLogInput): string {
  const machine = [
    `${input.login}  /  ${input.hostname}  /  ${input.osName}  /  Flock v${input.clientVersion}`,
    `${input.cpuName}  x${input.cores}  ${gigabytes(input.ramKiB)} GB RAM`,
    ...(input.gpu
      ? [`${input.gpu.id}   ${input.gpu.model}   ${gigabytes(input.gpu.vramBytes / 1024)} GB VRAM`]
      : []),
  ];
  const project = input.project
    ? [
        `Project ::: ${input.project.name}`,
        `Project id: ${input.project.id}  frame: ${input.project.frame}`,
        `blender ::: ${input.project.blenderVersion ?? 'unknown'}`,
      ]
    : ['Project ::: No project allocated.'];
  const header = [
    RULE,
    ...machine,
    RULE,
    ...project,
    '',
    `ERROR Type :: ${errorType(input.errorType).name}`,
    RULE,
    '',
  ];
  return `${[...header, ...input.lines].join('\n')}\n`;
}
