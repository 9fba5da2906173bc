/**
 * Reads a tRPC SSE subscription over plain fetch (Node has no EventSource) and calls `onData` with
 * each yielded value and its arrival time, until `signal` aborts or the stream ends. Control events
 * (`connected`, pings) are skipped.
 */
export async function readSubscription(
  url: string,
  cookie: string,
  onData: (data: unknown, receivedAt: number) => void,
  signal: AbortSignal,
): Promise<void> {
  const response = await fetch(url, { headers: { cookie, accept: 'text/event-stream' }, signal });
  if (!response.body) throw new Error(`no stream (HTTP ${response.status})`);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      const receivedAt = Date.now();
      buffer += decoder.decode(value, { stream: true });
      const frames = buffer.split('\n\n');
      buffer = frames.pop() ?? '';
      for (const frame of frames) {
        const lines = frame.split('\n');
        if (lines.some((line) => line.startsWith('event:'))) continue;
        const data = lines.find((line) => line.startsWith('data: '));
        if (data) onData(JSON.parse(data.slice(6)), receivedAt);
      }
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
}
