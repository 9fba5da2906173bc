// Child process of the console benchmark: runs many simulated agents on the real link client, each
// changing its state once a second (the fleet spread evenly over the second).
// Parent → child (IPC): { start: { url, machines } }, then { measure }, { report }, { stop }.
// Child → parent: { connected: seconds }, { sent: count }.
import { LinkClient } from '../../apps/agent/src/link';
import { SimulatedAgent } from '../../apps/agent/testing/index.js';

interface Start {
  url: string;
  machines: { id: string; secret: string }[];
  /** How long every agent may take to connect (default 2 minutes; a loaded machine needs longer). */
  connectWithinMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const send = (message: object) => process.send?.(message);

async function run({ url, machines, connectWithinMs = 120_000 }: Start): Promise<void> {
  const agents: SimulatedAgent[] = [];
  const clients: LinkClient[] = [];
  const started = Date.now();
  for (const [i, machine] of machines.entries()) {
    const agent = new SimulatedAgent({ hostname: `bench-${i}` });
    const client = new LinkClient({
      consoleUrl: url,
      machineId: machine.id,
      secret: machine.secret,
      agent,
      agentVersion: 'bench',
    });
    agents.push(agent);
    clients.push(client);
    client.start();
    if (i % 100 === 99) await sleep(20); // a ramp, not a thundering herd
  }
  while (clients.some((c) => c.status !== 'connected')) {
    if (Date.now() - started > connectWithinMs)
      throw new Error(`agents did not all connect within ${connectWithinMs / 1000} s`);
    await sleep(100);
  }
  send({ connected: (Date.now() - started) / 1000 });

  let sent = 0;
  let tick = 0;
  const ticker = setInterval(() => {
    const slot = tick++ % 100;
    for (let i = slot; i < agents.length; i += 100) {
      (agents[i] as SimulatedAgent).update({
        usage: { cpuPercent: (tick % 800) + 1, memoryBytes: 2 ** 30 + tick },
      });
      sent++;
    }
  }, 10);
  process.on('message', async (message: { measure?: boolean; report?: boolean; stop?: boolean }) => {
    if (message.measure) sent = 0;
    if (message.report) send({ sent });
    if (!message.stop) return;
    clearInterval(ticker);
    await Promise.all(clients.map((c) => c.stop()));
    process.exit(0);
  });
}

process.once('message', (message: { start: Start }) => void run(message.start));
