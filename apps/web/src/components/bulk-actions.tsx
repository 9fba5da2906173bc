'use client';
import { useState } from 'react';
import { formatCount } from '../lib/format';
import { CommandButtons } from './command-buttons';
import { LimitsForm } from './limits-form';
import { RoleGate } from './role-gate';
import { useSendCommand } from './send-command';
import { BulkTags } from './tags';
import type { Notify } from './toast';

/**
 * The commands and limits for the selected machines the list shows (`ids`, at least one); `hidden`
 * selected machines the search or filter hides are left out.
 */
export function BulkActions({ ids, hidden, notify }: { ids: string[]; hidden: number; notify: Notify }) {
  const { send, busy } = useSendCommand(ids, notify);
  const [editingLimits, setEditingLimits] = useState(false);
  return (
    <RoleGate minimum="operator">
      <div className="bulkbar" role="toolbar" aria-label="Actions on selected machines">
        <strong>{ids.length} selected</strong>
        {hidden > 0 && (
          <span className="muted" data-testid="hidden-selection">
            {formatCount(hidden, 'hidden machine')} left out (search or filter)
          </span>
        )}
        <CommandButtons send={send} disabled={busy} machines={ids.length} />
        <button type="button" onClick={() => setEditingLimits((v) => !v)}>
          Limits…
        </button>
        <button
          type="button"
          disabled={busy}
          onClick={() => send('Snooze rules for 2 h', { type: 'snooze-rules', minutes: 120 })}
        >
          Snooze rules 2 h
        </button>
        <BulkTags ids={ids} notify={notify} />
      </div>
      {editingLimits && (
        <div className="card">
          <h2>Limits for {formatCount(ids.length, 'machine')} (only filled fields change)</h2>
          <LimitsForm
            limits={null}
            busy={busy}
            onCancel={() => setEditingLimits(false)}
            onApply={async (limits) => {
              if (await send('Limits', { type: 'set-limits', limits })) setEditingLimits(false);
            }}
          />
        </div>
      )}
    </RoleGate>
  );
}
