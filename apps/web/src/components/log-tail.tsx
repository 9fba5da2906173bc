'use client';
import type { LogLine } from '@flock/protocol';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { formatClockTime } from '../lib/format';
import { useTRPC } from '../lib/trpc';

/** The agent's recent log lines as they stream in, with search; older lines fetched on demand. */
export function LogTail({ id, recent, online }: { id: string; recent: LogLine[]; online: boolean }) {
  const trpc = useTRPC();
  const [search, setSearch] = useState('');
  const fetchMore = useMutation(trpc.machines.logs.mutationOptions());
  const box = useRef<HTMLPreElement>(null);
  const needle = search.toLowerCase();
  const lines = (fetchMore.data ? mergeLines(fetchMore.data, recent) : recent).filter(
    (line) => !needle || line.message.toLowerCase().includes(needle),
  );
  const lastAt = lines.at(-1)?.at;

  // Follow the tail unless the user scrolled up to read.
  useEffect(() => {
    const el = box.current;
    if (el && lastAt !== undefined && el.scrollHeight - el.scrollTop - el.clientHeight < 60)
      el.scrollTop = el.scrollHeight;
  }, [lastAt]);

  return (
    <section className="card" aria-label="Log">
      <h2>Log</h2>
      <div className="toolbar" style={{ marginBottom: 0 }}>
        <input
          type="search"
          placeholder="Search the log"
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
      <pre className="logs" ref={box} data-testid="log">
        {lines.map(render)}
        {lines.length === 0 && (
          <span className="muted">{search ? 'No line matches.' : 'No log lines yet.'}</span>
        )}
      </pre>
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
    </div>
  );
}

function mergeLines(older: LogLine[], recent: LogLine[]): LogLine[] {
  const last = older.at(-1)?.at ?? 0;
  return [...older, ...recent.filter((line) => line.at > last)];
}
