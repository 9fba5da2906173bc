'use client';
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '../lib/trpc';

/** On a console started with --insecure-http, every page says what that means and how to end it. */
export function InsecureBanner() {
  const trpc = useTRPC();
  const status = useQuery(trpc.auth.status.queryOptions());
  if (status.data?.transport !== 'http-insecure') return null;
  return (
    <div className="banner error insecure-banner" role="alert" data-testid="insecure-banner">
      <strong>Not encrypted.</strong> This console serves plain HTTP on the network (--insecure-http):
      passwords, machine secrets and everything shown here can be read by anyone on the way, and machines get
      no farm account from it. Restart it without --insecure-http to serve HTTPS.
    </div>
  );
}
