'use client';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { formatCount } from '../lib/format';
import { tagProblem } from '../lib/tags';
import { useTRPC } from '../lib/trpc';
import { RoleGate } from './role-gate';
import type { Notify } from './toast';

/** A machine's tags, read only (cards and table rows). */
export function TagChips({ tags }: { tags: readonly string[] }) {
  if (tags.length === 0) return null;
  return (
    <ul className="tags" aria-label="Tags">
      {tags.map((tag) => (
        <li key={tag} className="tag">
          {tag}
        </li>
      ))}
    </ul>
  );
}

/** Tag and untag machines: one (its page) or many (the selection); the server checks the text again. */
export function useTagMutations(ids: readonly string[], notify: Notify) {
  const trpc = useTRPC();
  const what = ids.length === 1 ? 'the machine' : formatCount(ids.length, 'machine');
  const tag = useMutation(
    trpc.fleet.tag.mutationOptions({
      onSuccess: (_, { tags }) => notify(`Tagged ${what} “${tags.join('”, “')}”.`),
      onError: (error) => notify(`Tagging failed: ${error.message}`, 'error'),
    }),
  );
  const untag = useMutation(
    trpc.fleet.untag.mutationOptions({
      onSuccess: (_, { tags }) => notify(`Removed “${tags.join('”, “')}” from ${what}.`),
      onError: (error) => notify(`Removing the tag failed: ${error.message}`, 'error'),
    }),
  );
  return {
    add: (tags: string[]) =>
      tag.mutateAsync({ ids: [...ids], tags }).then(
        () => true,
        () => false,
      ),
    remove: (tags: string[]) =>
      untag.mutateAsync({ ids: [...ids], tags }).then(
        () => true,
        () => false,
      ),
    busy: tag.isPending || untag.isPending,
  };
}

/** A tag text field that says what is wrong before anything is sent. */
function TagInput({
  label,
  busy,
  actions,
}: {
  label: string;
  busy: boolean;
  actions: { label: string; run: (tag: string) => Promise<boolean> }[];
}) {
  const [text, setText] = useState('');
  const problem = text.trim() === '' ? null : tagProblem(text);
  const run = async (action: (tag: string) => Promise<boolean>) => {
    if (text.trim() === '' || problem) return;
    if (await action(text)) setText('');
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const first = actions[0];
    if (first) void run(first.run);
  };
  return (
    <form className="tag-input" onSubmit={submit}>
      <input
        value={text}
        onChange={(event) => setText(event.target.value)}
        placeholder="Tag, e.g. lab-2"
        aria-label={label}
        aria-invalid={problem !== null}
        maxLength={64}
      />
      {actions.map((action, index) => (
        <button
          key={action.label}
          type={index === 0 ? 'submit' : 'button'}
          disabled={busy || text.trim() === '' || problem !== null}
          onClick={index === 0 ? undefined : () => void run(action.run)}
        >
          {action.label}
        </button>
      ))}
      {problem && (
        <span className="field-error" role="alert">
          {problem}
        </span>
      )}
    </form>
  );
}

/** One machine's tags on its page: each with its remove button (operators), and a field to add one. */
export function MachineTagsEditor({
  id,
  tags,
  disabled,
  notify,
}: {
  id: string;
  tags: readonly string[];
  disabled: boolean;
  notify: Notify;
}) {
  const { add, remove, busy } = useTagMutations([id], notify);
  return (
    <div className="tag-editor" data-testid="tag-editor">
      <span className="muted">Tags</span>
      {tags.length === 0 && <span className="muted">none</span>}
      <ul className="tags" aria-label="Tags">
        {tags.map((tag) => (
          <li key={tag} className="tag">
            {tag}
            <RoleGate minimum="operator">
              <button
                type="button"
                className="tag-remove"
                disabled={disabled || busy}
                onClick={() => void remove([tag])}
                aria-label={`Remove tag ${tag}`}
              >
                ×
              </button>
            </RoleGate>
          </li>
        ))}
      </ul>
      <RoleGate minimum="operator">
        <TagInput
          label="New tag"
          busy={disabled || busy}
          actions={[{ label: 'Add tag', run: (tag) => add([tag]) }]}
        />
      </RoleGate>
    </div>
  );
}

/** Tag or untag every selected machine the list shows (the bulk bar). */
export function BulkTags({ ids, notify }: { ids: readonly string[]; notify: Notify }) {
  const { add, remove, busy } = useTagMutations(ids, notify);
  return (
    <TagInput
      label="Tag for the selected machines"
      busy={busy}
      actions={[
        { label: 'Add tag', run: (tag) => add([tag]) },
        { label: 'Remove tag', run: (tag) => remove([tag]) },
      ]}
    />
  );
}
