'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTRPC } from '../lib/trpc';
import type { AlertRules, Digest, QuietHours } from '../server/alerts/settings';
import type { Notify } from './toast';

/** Admins: the rules' thresholds, quiet hours, the daily digest and the webhooks alerts go to. */
export function AlertSettingsCard({ notify }: { notify: Notify }) {
  const trpc = useTRPC();
  const settings = useQuery(trpc.alerts.settings.queryOptions());
  if (settings.isPending) return <p className="muted">Loading alert settings…</p>;
  if (settings.isError)
    return (
      <p className="error-text" role="alert">
        Could not load the alert settings: {settings.error.message}. Reload the page to try again.
      </p>
    );
  const { rules, quietHours, digest } = settings.data;
  return (
    <div className="grid-2">
      <RulesForm
        key={JSON.stringify({ rules, quietHours, digest })}
        {...{ rules, quietHours, digest, notify }}
      />
      <WebhooksCard webhooks={settings.data.webhooks} max={settings.data.maxWebhooks} notify={notify} />
    </div>
  );
}

type NumberField = {
  rule: keyof AlertRules;
  field: 'minutes' | 'count' | 'hours' | 'minFreeGib';
  label: string;
};
const RULE_FIELDS: NumberField[] = [
  { rule: 'offline', field: 'minutes', label: 'Machine offline for more than (minutes)' },
  { rule: 'farmUnreachable', field: 'minutes', label: 'Farm unreachable for more than (minutes)' },
  { rule: 'errorStreak', field: 'count', label: 'Errors in a row' },
  { rule: 'uploadQueue', field: 'count', label: 'Frames waiting to upload' },
  { rule: 'noFrames', field: 'hours', label: 'No frame delivered while working for (hours)' },
  { rule: 'diskFull', field: 'minFreeGib', label: 'Disk full, or less free than (GiB)' },
];
const SWITCHES: { rule: keyof AlertRules; label: string }[] = [{ rule: 'crash', label: 'Blender crashed' }];

function RulesForm(props: { rules: AlertRules; quietHours: QuietHours; digest: Digest; notify: Notify }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [rules, setRules] = useState(props.rules);
  const [quietHours, setQuietHours] = useState(props.quietHours);
  const [digest, setDigest] = useState(props.digest);
  const save = useMutation(
    trpc.alerts.saveSettings.mutationOptions({
      onSuccess: () => {
        void queryClient.invalidateQueries({ queryKey: trpc.alerts.settings.queryKey() });
        props.notify('Alert rules saved');
      },
    }),
  );
  const setRule = (rule: keyof AlertRules, changes: Record<string, unknown>) =>
    setRules((current) => ({ ...current, [rule]: { ...current[rule], ...changes } }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate({ rules, quietHours, digest });
  };
  return (
    <section className="card" aria-label="Alert rules">
      <h2>Alert rules</h2>
      <form className="form" onSubmit={submit}>
        {RULE_FIELDS.map(({ rule, field, label }) => {
          const value = (rules[rule] as Record<string, number | boolean>)[field] as number;
          return (
            <div className="rule-row" key={rule}>
              <label className="check">
                <input
                  type="checkbox"
                  checked={rules[rule].enabled}
                  onChange={(event) => setRule(rule, { enabled: event.target.checked })}
                />
                {label}
              </label>
              <input
                type="number"
                aria-label={label}
                min={field === 'count' ? 1 : field === 'minFreeGib' ? 0 : 0.01}
                step={field === 'count' ? 1 : 'any'}
                value={value}
                disabled={!rules[rule].enabled}
                onChange={(event) => setRule(rule, { [field]: Number(event.target.value) })}
              />
            </div>
          );
        })}
        {SWITCHES.map(({ rule, label }) => (
          <label className="check" key={rule}>
            <input
              type="checkbox"
              checked={rules[rule].enabled}
              onChange={(event) => setRule(rule, { enabled: event.target.checked })}
            />
            {label}
          </label>
        ))}
        <div className="rule-row">
          <label className="check">
            <input
              type="checkbox"
              checked={quietHours.enabled}
              onChange={(event) => setQuietHours({ ...quietHours, enabled: event.target.checked })}
            />
            Quiet hours (webhooks wait, then get one summary)
          </label>
          <span className="time-range">
            <input
              type="time"
              aria-label="Quiet from"
              value={quietHours.from}
              onChange={(event) => setQuietHours({ ...quietHours, from: event.target.value })}
            />
            –
            <input
              type="time"
              aria-label="Quiet until"
              value={quietHours.to}
              onChange={(event) => setQuietHours({ ...quietHours, to: event.target.value })}
            />
          </span>
        </div>
        <div className="rule-row">
          <label className="check">
            <input
              type="checkbox"
              checked={digest.enabled}
              onChange={(event) => setDigest({ ...digest, enabled: event.target.checked })}
            />
            Daily digest to the webhooks at
          </label>
          <input
            type="time"
            aria-label="Digest time"
            value={digest.at}
            onChange={(event) => setDigest({ ...digest, at: event.target.value })}
          />
        </div>
        <p className="muted">Times are the console computer’s local time.</p>
        <div className="actions start">
          <button type="submit" className="primary" disabled={save.isPending}>
            Save rules
          </button>
        </div>
        {save.isError && (
          <p className="error-text" role="alert">
            {save.error.data?.code === 'BAD_REQUEST'
              ? 'Some value is out of range: minutes and hours above 0, counts 1 or more, times like 22:00.'
              : save.error.message}
          </p>
        )}
      </form>
    </section>
  );
}

type WebhookView = { id: string; kind: string; name: string; hint: string; fromEnvironment: boolean };
const KIND_LABEL: Record<string, string> = { json: 'JSON', discord: 'Discord', ntfy: 'ntfy' };

function WebhooksCard({ webhooks, max, notify }: { webhooks: WebhookView[]; max: number; notify: Notify }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.alerts.settings.queryKey() });
  const [kind, setKind] = useState<'json' | 'discord' | 'ntfy'>('discord');
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const add = useMutation(
    trpc.alerts.addWebhook.mutationOptions({
      onSuccess: () => {
        setName('');
        setUrl('');
        void refresh();
        notify('Webhook added');
      },
    }),
  );
  const remove = useMutation(trpc.alerts.removeWebhook.mutationOptions({ onSuccess: () => void refresh() }));
  const test = useMutation(
    trpc.alerts.testWebhook.mutationOptions({
      onSuccess: (result) =>
        result.ok
          ? notify(`Test sent: the receiver answered ${result.status}`)
          : notify(`Test failed: ${result.error}. Check the URL and that the receiver is up.`, 'error'),
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    add.mutate({ kind, name: name.trim(), url: url.trim() });
  };
  return (
    <section className="card" aria-label="Webhooks">
      <h2>Webhooks</h2>
      <p className="muted">
        Each alert is posted once when it fires and once when it resolves. URLs are kept on the console and
        shown here only by their host.
      </p>
      {webhooks.length === 0 ? (
        <p className="muted">None yet: alerts show only here and on the bell.</p>
      ) : (
        <ul className="webhook-list">
          {webhooks.map((webhook) => (
            <li key={webhook.id} data-testid="webhook">
              <span>
                <strong>{webhook.name}</strong> · {KIND_LABEL[webhook.kind]} · <code>{webhook.hint}</code>
              </span>
              <span className="head-actions">
                <button
                  type="button"
                  disabled={test.isPending}
                  onClick={() => test.mutate({ id: webhook.id })}
                >
                  Send test
                </button>
                {!webhook.fromEnvironment && (
                  <button
                    type="button"
                    disabled={remove.isPending}
                    onClick={() => remove.mutate({ id: webhook.id })}
                  >
                    Remove
                  </button>
                )}
              </span>
            </li>
          ))}
        </ul>
      )}
      {webhooks.filter((webhook) => !webhook.fromEnvironment).length < max && (
        <form className="form add-user" onSubmit={submit}>
          <h3>Add a webhook</h3>
          <label>
            Kind
            <select value={kind} onChange={(event) => setKind(event.target.value as typeof kind)}>
              <option value="discord">Discord (channel webhook URL)</option>
              <option value="ntfy">ntfy (topic URL, e.g. https://ntfy.sh/your-topic)</option>
              <option value="json">JSON (any receiver; POST application/json)</option>
            </select>
          </label>
          <label>
            Name
            <input value={name} onChange={(event) => setName(event.target.value)} maxLength={60} required />
          </label>
          <label>
            URL
            <input
              type="url"
              value={url}
              onChange={(event) => setUrl(event.target.value)}
              maxLength={2000}
              required
              autoComplete="off"
            />
          </label>
          <div className="actions start">
            <button type="submit" className="primary" disabled={add.isPending}>
              Add webhook
            </button>
          </div>
          {add.isError && (
            <p className="error-text" role="alert">
              {add.error.data?.code === 'BAD_REQUEST'
                ? 'Not accepted: use an http:// or https:// URL without a user name or password in it.'
                : add.error.message}
            </p>
          )}
        </form>
      )}
    </section>
  );
}
