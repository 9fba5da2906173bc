'use client';
import type { AgentState } from '@flock/protocol';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '../lib/trpc';
import { FarmAccountForm, farmAccountError } from './farm-account-form';
import type { Notify } from './toast';

const SOURCE_TEXT = {
  local: 'its own account (started with --login), which wins over the console’s',
  console: 'the account from this console',
} as const;

/** A machine's page: which farm account it renders with, and (admins) an account of its own. */
export function MachineFarmAccount({
  id,
  farmAccount,
  notify,
}: {
  id: string;
  farmAccount: AgentState['farmAccount'] | undefined;
  notify: Notify;
}) {
  const trpc = useTRPC();
  const status = useQuery(trpc.auth.status.queryOptions());
  const isAdmin = status.data?.user?.role === 'admin';
  const queryClient = useQueryClient();
  const accounts = useQuery({ ...trpc.farmAccount.get.queryOptions(), enabled: isAdmin });
  const saved = (message: string) => (views: unknown) => {
    queryClient.setQueryData(trpc.farmAccount.get.queryKey(), views as never);
    notify(message);
  };
  const save = useMutation(
    trpc.farmAccount.setMachine.mutationOptions({ onSuccess: saved('Account saved for this machine') }),
  );
  const clear = useMutation(
    trpc.farmAccount.clearMachine.mutationOptions({
      onSuccess: saved('This machine uses the fleet’s account again'),
    }),
  );
  const own = accounts.data?.machines.find((machine) => machine.machineId === id) ?? null;
  return (
    <section className="card" style={{ marginBottom: 12 }} aria-label="Farm account">
      <h2>Farm account</h2>
      <p data-testid="farm-account-source">
        {!farmAccount ? (
          <span className="muted">Known once the agent connects.</span>
        ) : farmAccount.source === 'none' || !farmAccount.login ? (
          'No farm account yet: the machine waits for one.'
        ) : (
          <>
            Renders with <strong>{farmAccount.login}</strong>, {SOURCE_TEXT[farmAccount.source]}.
          </>
        )}
      </p>
      {isAdmin && accounts.data && (
        <details open={own !== null}>
          <summary>An account for this machine only{own ? `: ${own.login}` : ''}</summary>
          <FarmAccountForm
            key={own?.setAt ?? 'none'}
            current={own}
            saveLabel="Save for this machine"
            removeLabel="Use the fleet’s account"
            busy={save.isPending || clear.isPending}
            error={farmAccountError(save.error ?? clear.error)}
            onSave={(account) => save.mutate({ id, ...account })}
            onRemove={() => clear.mutate({ id })}
          />
        </details>
      )}
    </section>
  );
}
