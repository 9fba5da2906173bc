import type { Webhook } from './settings';
import type { AlertRecord } from './types';

/** What a webhook post says: one alert that fired or resolved, a held batch, a digest, or a test. */
export type Message =
  | { type: 'fired' | 'resolved'; alert: AlertRecord }
  | { type: 'summary'; title: string; text: string; alerts: AlertRecord[] }
  | { type: 'digest'; title: string; text: string; digest: DigestFacts }
  | { type: 'test'; title: string; text: string };

export interface DigestFacts {
  since: number;
  frames: number;
  credits: number;
  machines: number;
  machinesDown: string[];
}

/** One HTTP request: JSON or plain text, with its own headers. */
export interface WebhookRequest {
  body: string;
  headers: Record<string, string>;
}

const DISCORD_CONTENT = 2000;
const DISCORD_TITLE = 256;
const DISCORD_DESCRIPTION = 4096;
const DISCORD_FIELD = 1024;
/** ntfy keeps messages up to 4096 bytes as text; longer ones become attachments. */
const NTFY_BODY_CHARS = 3500;

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

export function titleOf(message: Message): string {
  if (!('alert' in message)) return message.title;
  return message.type === 'resolved' ? `Resolved: ${message.alert.title}` : message.alert.title;
}

/** The text a person reads: the detail, the project and the last log lines. */
export function textOf(message: Message): string {
  if (!('alert' in message)) return message.text;
  const { alert } = message;
  const lines = [alert.detail];
  if (alert.evidence.project) lines.push(`Project: ${alert.evidence.project}`);
  const log = alert.evidence.logLines.slice(-5).map((line) => `${line.level}: ${line.message}`);
  if (message.type === 'fired' && log.length > 0) lines.push('Last log lines:', ...log);
  return lines.join('\n');
}

export function requestFor(kind: Webhook['kind'], message: Message): WebhookRequest {
  if (kind === 'discord') return discordRequest(message);
  if (kind === 'ntfy') return ntfyRequest(message);
  return {
    body: JSON.stringify({ source: 'flock', ...message }),
    headers: { 'content-type': 'application/json' },
  };
}

const COLORS = { fired: 0xd93f3f, resolved: 0x2f9e44, other: 0x4c6ef5 };

/** Discord's execute-webhook body: a short `content` line and one embed, within Discord's limits. */
function discordRequest(message: Message): WebhookRequest {
  const title = titleOf(message);
  const alert = 'alert' in message ? message.alert : null;
  const embed: Record<string, unknown> = {
    title: clip(title, DISCORD_TITLE),
    description: clip(textOf(message), DISCORD_DESCRIPTION),
    color: message.type === 'fired' || message.type === 'resolved' ? COLORS[message.type] : COLORS.other,
  };
  if (alert) {
    embed.timestamp = new Date(alert.resolvedAt ?? alert.firedAt).toISOString();
    embed.fields = [
      { name: 'Machine', value: clip(alert.machineName, DISCORD_FIELD), inline: true },
      { name: 'Rule', value: alert.rule, inline: true },
      ...(alert.evidence.crash
        ? [
            {
              name: 'Crash report (tail)',
              value: clip(`\`\`\`\n${alert.evidence.crash.slice(-900)}\n\`\`\``, DISCORD_FIELD),
            },
          ]
        : []),
    ];
  }
  const body = { content: clip(title, DISCORD_CONTENT), embeds: [embed], allowed_mentions: { parse: [] } };
  return { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
}

/** ntfy: the text as the body of a POST to the topic URL; title, priority and tags as headers. */
function ntfyRequest(message: Message): WebhookRequest {
  const priority = message.type === 'fired' ? '4' : message.type === 'resolved' ? '3' : '2';
  const tags =
    message.type === 'fired' ? 'warning' : message.type === 'resolved' ? 'white_check_mark' : 'sheep';
  return {
    body: clip(textOf(message), NTFY_BODY_CHARS),
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      title: headerText(clip(titleOf(message), 200)),
      priority,
      tags,
    },
  };
}

/** A header value: ASCII as is, anything else as an RFC 2047 encoded word (which ntfy decodes). */
export function headerText(text: string): string {
  const printable = text.replace(/[\r\n]+/g, ' ');
  if (/^[\x20-\x7e]*$/.test(printable)) return printable;
  return `=?UTF-8?B?${Buffer.from(printable, 'utf8').toString('base64')}?=`;
}
