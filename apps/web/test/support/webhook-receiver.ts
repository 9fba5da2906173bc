import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedPost {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/**
 * A real local HTTP server (port 0) standing in for a webhook receiver: records every POST. `answer`
 * decides the reply per post (default 204); returning 'hang' never answers.
 */
export async function startWebhookReceiver(
  answer: (post: ReceivedPost, index: number) => number | 'hang' = () => 204,
) {
  const posts: ReceivedPost[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const post = { path: req.url ?? '/', headers: req.headers, body, at: Date.now() };
      posts.push(post);
      const reply = answer(post, posts.length - 1);
      if (reply === 'hang') return void hanging.push(res);
      res.writeHead(reply).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    posts,
    /** Posts to one path, their JSON bodies parsed. */
    json: (path = '/hook') => posts.filter((post) => post.path === path).map((post) => JSON.parse(post.body)),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
export type WebhookReceiver = Awaited<ReturnType<typeof startWebhookReceiver>>;
