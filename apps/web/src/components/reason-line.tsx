import { type NotRenderingReason, reasonTimes } from '@flock/protocol';
import Link from 'next/link';

/**
 * The headline of a reason, its times in the browser's local time ("since 14:02:07, next try at …");
 * `short`: only the message's first sentence (the machine cards).
 */
export function reasonHeadline(reason: NotRenderingReason, short = false): string {
  const times = reasonTimes(reason, Date.now());
  if (reason.code === 'farm-unreachable') return `Farm unreachable ${times.join(', ')}`.trim();
  const message = short ? (reason.message.split(/(?<=\.)\s/)[0] ?? reason.message) : reason.message;
  return [message.replace(/\.$/, ''), ...times].join(', ');
}

/**
 * Why a machine is not rendering: a sentence with local times, the raw detail one click away, and
 * what to do where the console can help (a refused login: the fleet's client version).
 */
export function ReasonLine({ reason, compact = false }: { reason: NotRenderingReason; compact?: boolean }) {
  const headline = reasonHeadline(reason, compact);
  const sentence = reason.code === 'farm-unreachable' ? reason.message : null;
  if (compact) {
    return (
      <div
        className="reason"
        data-testid="reason"
        title={[sentence, reason.detail].filter(Boolean).join(' — ')}
      >
        {headline}
      </div>
    );
  }
  return (
    <div className="reason" data-testid="reason">
      <p className="headline">{headline}</p>
      {sentence && <p>{sentence}</p>}
      {reason.code === 'login-refused' && (
        <p>
          <Link href="/settings">Set the client version for the fleet</Link>: the machine logs in again as
          soon as it changes.
        </p>
      )}
      {reason.detail && (
        <details>
          <summary>Details</summary>
          <code className="detail">{reason.detail}</code>
        </details>
      )}
    </div>
  );
}
