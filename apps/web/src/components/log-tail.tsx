'use client';
import { formatLogFields, type LogLine, logLineText } from '@flock/protocol';
import { useMutation } from '@tanstack/react-query';
import { useLayoutEffect, useRef, useState } from 'react';
import { formatClockTime } from '../lib/format';
import { useTRPC } from '../lib/trpc';

/** How close to the bottom (px) still counts as following the newest line. */
const AT_BOTTOM_PX = 24;

/**
 * The agent's recent log lines as they stream in, with their fields (job, frame, project…) and a
 * search over both; older lines fetched on demand. Opens at the newest line and follows new ones like
 * `tail -f`, unless the user scrolled up to read: then "Jump to newest" brings the tail back.
 */
export function LogTail({ id, recent, online }: { id: string; recent: LogLine[]; online: boolean }) {
  const trpc = useTRPC();
  const [search, setSearch] = useState('');
  const [following, setFollowing] = useState(true);
  const fetchMore = useMutation(trpc.machines.logs.mutationOptions());
  const box = useRef<HTMLPreElement>(null);
  const needle = search.toLowerCase();
  const lines = (fetchMore.data ? mergeLines(fetchMore.data, recent) : recent).filter(
    (line) => !needle || logLineText(line).toLowerCase().includes(needle),
  );
  const newest = lines.at(-1);

  // Before the browser paints: the box never shows its top first.
  // biome-ignore lint/correctness/useExhaustiveDependencies: follows each new newest line (and a new search)
  useLayoutEffect(() => {
    const el = box.current;
    if (el && following) el.scrollTop = el.scrollHeight;
  }, [newest, lines.length, following]);

  const onScroll = () => {
    const el = box.current;
    if (el) setFollowing(el.scrollHeight - el.scrollTop - el.clientHeight <= AT_BOTTOM_PX);
  };

  return (
    <section className="card" aria-label="Log">
      <h2>Log</h2>
      <div className="toolbar" style={{ marginBottom: 0 }}>
        <input
          type="search"
          placeholder="Search the log, e.g. frame=0007"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          aria-label="Search the log"
        />
        <button
          type="button"
          disabled={!online || fetchMore.isPending}
          onClick={() => fetchMore.mutate({ id, limit: 1000 })}
        >
          {fetchMore.isPending ? 'Loading…' : 'Load older lines'}
        </button>
      </div>
      {fetchMore.isError && <p className="error-text">{fetchMore.error.message}</p>}
      <div className="log-box">
        <pre className="logs" ref={box} onScroll={onScroll} data-testid="log">
          {lines.map(render)}
          {lines.length === 0 && (
            <span className="muted">{search ? 'No line matches.' : 'No log lines yet.'}</span>
          )}
        </pre>
        {!following && (
          <button type="button" className="jump" onClick={() => setFollowing(true)}>
            ↓ Jump to newest
          </button>
        )}
      </div>
    </section>
  );
}

function render(line: LogLine, index: number) {
  return (
    <div
      key={`${line.at}-${index}`}
      className={line.level === 'error' ? 'log-error' : line.level === 'warn' ? 'log-warn' : undefined}
    >
      {formatClockTime(line.at)} {line.message}
      {line.fields && <span className="log-fields"> {formatLogFields(line.fields)}</span>}
    </div>
  );
}

function mergeLines(older: LogLine[], recent: LogLine[]): LogLine[] {
  const last = older.at(-1)?.at ?? 0;
  return [...older, ...recent.filter((line) => line.at > last)];
}
