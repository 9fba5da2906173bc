// Child process of the console benchmark: a browser-like subscriber on the fleet SSE feed. For every
// machine update it records now − the agent's send time. Parent → child: { start: { url, cookie } },
// { measure }, { report }, { stop }; child → parent on report: { delays: number[] } (sorted).
import { readSubscription } from '../../apps/web/test/support/sse';

let delays: number[] = [];
const stop = new AbortController();

interface Message {
  start?: { url: string; cookie: string };
  measure?: boolean;
  report?: boolean;
  stop?: boolean;
}

process.on('message', (message: Message) => {
  if (message.start) {
    const { url, cookie } = message.start;
    void readSubscription(
      `${url}/api/trpc/fleet.live`,
      cookie,
      (data, receivedAt) => {
        const update = data as { kind?: string; machines?: { stateAt: number | null }[] };
        if (update.kind !== 'delta') return;
        for (const machine of update.machines ?? [])
          if (machine.stateAt) delays.push(receivedAt - machine.stateAt);
      },
      stop.signal,
    );
  }
  if (message.measure) delays = [];
  if (message.report) process.send?.({ delays: [...delays].sort((a, b) => a - b) });
  if (message.stop) {
    stop.abort();
    process.exit(0);
  }
});
