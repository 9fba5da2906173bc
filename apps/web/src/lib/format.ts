import { formatLocalTime } from '@flock/protocol';
import type { DisplayStatus, StatusGroup } from '../server/views';

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—';
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(bytes >= 10 * 2 ** 30 ? 0 : 1)} GiB`;
  if (bytes >= 2 ** 20) return `${Math.round(bytes / 2 ** 20)} MiB`;
  return `${Math.round(bytes / 1024)} KiB`;
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  // Tiny test scenes render in a fraction of a second; "0 s" would read as "not measured".
  if (seconds > 0 && seconds < 9.95) return `${seconds.toFixed(1)} s`;
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

export function formatAgo(at: number | null | undefined, now = Date.now()): string {
  if (!at) return 'never';
  const seconds = Math.round((now - at) / 1000);
  if (seconds < 10) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return new Date(at).toLocaleDateString();
}

/** A time in the browser's own zone and locale: "14:02:07" today, with the day otherwise. */
export function formatClockTime(at: number, now = Date.now()): string {
  return formatLocalTime(at, now);
}

/** "1 frame", "3 frames", "1,200 machines". */
export function formatCount(count: number, noun: string): string {
  return `${count.toLocaleString()} ${noun}${count === 1 ? '' : 's'}`;
}

export const formatCredits = (credits: number): string => Math.round(credits).toLocaleString();

export const STATUS_LABEL: Record<DisplayStatus, string> = {
  starting: 'Starting',
  requesting: 'Asking for a job',
  downloading: 'Downloading',
  rendering: 'Rendering',
  uploading: 'Uploading',
  idle: 'Idle',
  paused: 'Paused',
  stopping: 'Stopping',
  stopped: 'Stopped',
  error: 'Error',
  offline: 'Offline',
  'never-connected': 'Never connected',
};

/** The overview's status groups, as its tiles and its filter name them. */
export const STATUS_GROUP_LABEL: Record<StatusGroup, string> = {
  working: 'Working',
  requesting: 'Asking for a job',
  idle: 'Idle',
  paused: 'Paused',
  error: 'In error',
  offline: 'Offline',
};

/** The colour family of a status (CSS class suffix). */
export function statusTone(status: DisplayStatus): 'busy' | 'work' | 'idle' | 'paused' | 'error' | 'offline' {
  switch (status) {
    case 'rendering':
      return 'busy';
    case 'downloading':
    case 'uploading':
    case 'starting':
      return 'work';
    case 'paused':
    case 'stopping':
      return 'paused';
    case 'error':
      return 'error';
    case 'offline':
    case 'never-connected':
    case 'stopped':
      return 'offline';
    default:
      return 'idle';
  }
}

/** The agent reports CPU in `top` units (100 per busy core); shown as a share of the whole machine. */
export function formatCpuLoad(cpuPercent: number, cores: number): string {
  return `${Math.round(cpuPercent / Math.max(1, cores))}% CPU`;
}
