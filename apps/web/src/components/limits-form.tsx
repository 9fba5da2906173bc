'use client';
import { type Gpu, LIMIT_BOUNDS, type Limits } from '@flock/protocol';
import { type FormEvent, useState } from 'react';

type Draft = Record<
  'computeMethod' | 'gpu' | 'cores' | 'memoryGiB' | 'maxFrameTimeMinutes' | 'priority' | 'requestTime',
  string
>;

const GIB = 2 ** 30;

function toDraft(limits: Limits | null): Draft {
  return {
    computeMethod: limits?.computeMethod ?? '',
    gpu: limits?.gpu ?? '',
    cores: limits?.cores?.toString() ?? '',
    memoryGiB: limits?.memoryBytes ? String(Math.round((limits.memoryBytes / GIB) * 10) / 10) : '',
    maxFrameTimeMinutes: limits?.maxFrameTimeSeconds
      ? String(Math.round(limits.maxFrameTimeSeconds / 60))
      : '',
    priority: limits?.priority?.toString() ?? '',
    requestTime: limits?.requestTime ?? '',
  };
}

const optionalInt = (text: string, scale = 1): number | null =>
  text.trim() === '' ? null : Math.round(Number(text) * scale);

/** The limits that differ from `base` (all filled-in ones when there is no base, as for many machines). */
function changedLimits(draft: Draft, base: Draft, hasBase: boolean): Partial<Limits> {
  const changed = (key: keyof Draft) => (hasBase ? draft[key] !== base[key] : draft[key].trim() !== '');
  const limits: Partial<Limits> = {};
  if (changed('computeMethod') && draft.computeMethod)
    limits.computeMethod = draft.computeMethod as Limits['computeMethod'];
  if (changed('gpu')) limits.gpu = draft.gpu || null;
  if (changed('cores')) limits.cores = optionalInt(draft.cores);
  if (changed('memoryGiB')) limits.memoryBytes = optionalInt(draft.memoryGiB, GIB);
  if (changed('maxFrameTimeMinutes')) limits.maxFrameTimeSeconds = optionalInt(draft.maxFrameTimeMinutes, 60);
  if (changed('priority') && draft.priority.trim() !== '') limits.priority = Number(draft.priority);
  if (changed('requestTime')) limits.requestTime = draft.requestTime.trim() || null;
  return limits;
}

export function LimitsForm({
  limits,
  gpus,
  maxCores,
  busy,
  disabled = false,
  onApply,
  onCancel,
}: {
  /** Current limits of one machine, or null when editing many at once (only filled fields apply). */
  limits: Limits | null;
  gpus?: Gpu[];
  /** The machine's cores: the most it can be given (one machine only; each agent refuses more). */
  maxCores?: number;
  busy: boolean;
  /** Nothing can be applied now (the console's live feed is down). */
  disabled?: boolean;
  onApply: (limits: Partial<Limits>) => void;
  onCancel?: () => void;
}) {
  const base = toDraft(limits);
  const [draft, setDraft] = useState(base);
  const changes = changedLimits(draft, base, limits !== null);
  const set = (key: keyof Draft) => (event: { target: { value: string } }) =>
    setDraft((d) => ({ ...d, [key]: event.target.value }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (Object.keys(changes).length > 0) onApply(changes);
  };
  const blank = limits === null ? 'unchanged' : 'no limit';
  return (
    <form className="form" onSubmit={submit} aria-label="Limits">
      <div className="row">
        <label>
          Compute method
          <select value={draft.computeMethod} onChange={set('computeMethod')}>
            {limits === null && <option value="">unchanged</option>}
            <option value="cpu">CPU</option>
            <option value="gpu">GPU</option>
            <option value="cpu_gpu">CPU + GPU</option>
          </select>
        </label>
        {gpus && (
          <label>
            GPU
            <select value={draft.gpu} onChange={set('gpu')}>
              <option value="">automatic</option>
              {gpus.map((gpu) => (
                <option key={gpu.id} value={gpu.id}>
                  {gpu.model || gpu.id}
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          {maxCores ? `Cores (${LIMIT_BOUNDS.cores.min}–${maxCores})` : 'Cores'}
          <input
            type="number"
            min={LIMIT_BOUNDS.cores.min}
            max={maxCores ?? LIMIT_BOUNDS.cores.max}
            placeholder={limits === null ? 'unchanged' : 'all'}
            value={draft.cores}
            onChange={set('cores')}
          />
        </label>
        <label>
          Memory (GiB)
          <input
            type="number"
            min={LIMIT_BOUNDS.memoryBytes.min / GIB}
            step="any"
            placeholder={blank}
            value={draft.memoryGiB}
            onChange={set('memoryGiB')}
          />
        </label>
        <label>
          Max frame time (min)
          <input
            type="number"
            min={1}
            placeholder={blank}
            value={draft.maxFrameTimeMinutes}
            onChange={set('maxFrameTimeMinutes')}
          />
        </label>
        <label>
          Priority ({LIMIT_BOUNDS.priority.min}…{LIMIT_BOUNDS.priority.max})
          <input
            type="number"
            min={LIMIT_BOUNDS.priority.min}
            max={LIMIT_BOUNDS.priority.max}
            placeholder={limits === null ? 'unchanged' : ''}
            value={draft.priority}
            onChange={set('priority')}
          />
        </label>
      </div>
      <label>
        Request-time windows
        <input
          placeholder={limits === null ? 'unchanged' : 'any time — e.g. mon-fri 18:00-08:00, sat-sun all day'}
          value={draft.requestTime}
          onChange={set('requestTime')}
        />
      </label>
      <div className="actions">
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
        <button
          type="submit"
          className="primary"
          disabled={busy || disabled || Object.keys(changes).length === 0}
        >
          {busy ? 'Applying…' : 'Apply limits'}
        </button>
      </div>
    </form>
  );
}
