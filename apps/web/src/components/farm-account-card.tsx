'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '../lib/trpc';
import { FarmAccountForm, farmAccountError } from './farm-account-form';
import type { Notify } from './toast';

/** Fleet settings: the SheepIt account every machine without its own renders with. Admins only. */
export function FarmAccountCard({ isAdmin, notify }: { isAdmin: boolean; notify: Notify }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const accounts = useQuery({ ...trpc.farmAccount.get.queryOptions(), enabled: isAdmin });
  const saved = (message: string) => (views: unknown) => {
    queryClient.setQueryData(trpc.farmAccount.get.queryKey(), views as never);
    notify(message);
  };
  const save = useMutation(
    trpc.farmAccount.setFleet.mutationOptions({
      onSuccess: saved('Farm account saved: sent to every machine'),
    }),
  );
  const clear = useMutation(
    trpc.farmAccount.clearFleet.mutationOptions({ onSuccess: saved('Farm account removed from the fleet') }),
  );
  return (
    <section className="card" aria-label="Farm account">
      <h2>Farm account</h2>
      <p className="muted">
        The SheepIt account machines render with when they have none of their own (a machine started with
        --login and --password keeps its own). Machines get it at once over their encrypted link and keep it
        on disk, readable only by the agent’s user. Use the render key from your SheepIt profile, not your
        password. A machine’s page can give it an account of its own.
      </p>
      {!isAdmin ? (
        <p className="muted">Only an admin can see or change it.</p>
      ) : accounts.isPending ? (
        <p className="muted">Loading…</p>
      ) : accounts.isError ? (
        <p className="error-text" role="alert">
          Could not load the farm account: {accounts.error.message}. Reload the page to try again.
        </p>
      ) : (
        <FarmAccountForm
          key={accounts.data.fleet?.setAt ?? 'none'}
          current={accounts.data.fleet}
          saveLabel="Save for the fleet"
          removeLabel="Remove"
          busy={save.isPending || clear.isPending}
          error={farmAccountError(save.error ?? clear.error)}
          onSave={(account) => save.mutate(account)}
          onRemove={() => clear.mutate()}
        />
      )}
    </section>
  );
}
