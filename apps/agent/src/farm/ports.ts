// What the farm loop needs from the renderer and the upload queue, as narrow interfaces: the loop
// is tested against the real implementations, and stays readable without their details.
import type { FrameDevice, Job, JobPhaseSpan, Limits } from '@flock/protocol';
import type { RenderResult } from '../render/index.js';
import type { RenderDeviceCheck } from './render-device.js';

export type { RenderResult } from '../render/index.js';

export interface RenderProgress {
  phase: 'prepare' | 'render';
  /** 0..1 or null while unknown. */
  progress: number | null;
  etaSeconds: number | null;
}

export interface RenderRequest {
  job: Job;
  /** The extracted renderer archive (holds `rend.exe`). */
  rendererDir: string;
  /** The extracted project archive (holds `job.path`). */
  projectDir: string;
  /** Scratch dir of this job: script, output, Blender's temp files. Removed after the frame. */
  workDir: string;
  limits: Limits;
  /** Aborted with the StopReason when the job is stopped from outside (stop-signal.ts). */
  signal: AbortSignal;
  onProgress: (progress: RenderProgress) => void;
  /** Every Blender output line, for the job's log. */
  onOutput: (line: string) => void;
  /** Blender's output said (again, or more directly) which device renders. */
  onDevice?: (device: RenderDeviceCheck) => void;
}

export type RenderPort = (request: RenderRequest) => Promise<RenderResult>;

export interface RenderedFrame {
  job: Job;
  outputFile: string;
  renderTimeSeconds: number;
  memoryUsedKiB?: number;
  cores?: number;
  /** The job's phases before its upload (download to render). */
  phases?: JobPhaseSpan[];
  /** The device Blender rendered on (and the chosen one when it differs), when its output said. */
  device?: FrameDevice;
}

export interface FrameUploads {
  /**
   * Moves a rendered frame into the persisted queue; resolves once it is durable. It counts as
   * outstanding from the call on, and is sent in the background.
   */
  add(frame: RenderedFrame): Promise<void>;
  /**
   * A job-request answer reported the session's credits so far: what they grew by is shared by the
   * frames delivered since the previous report.
   */
  sessionCredits(total: number): void;
  /** Frames not settled by the farm yet (being stored, queued or being sent). */
  outstanding(): number;
  /** Called whenever `outstanding()` may have changed. */
  onChange(listener: () => void): () => void;
  /** Resolves once nothing is outstanding, or when `signal` aborts. */
  drained(signal?: AbortSignal): Promise<void>;
}
