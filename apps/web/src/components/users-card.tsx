'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { formatAgo } from '../lib/format';
import { ROLE_ABILITIES, ROLE_LABELS, ROLES, type Role } from '../lib/roles';
import { useTRPC } from '../lib/trpc';
import { TextField } from './text-field';

/** Admins only: who may use this console and their roles; add a user, change a role, remove one. */
export function UsersCard({ me }: { me: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const users = useQuery(trpc.users.list.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
  const remove = useMutation(trpc.users.remove.mutationOptions({ onSuccess: refresh }));
  const setRole = useMutation(trpc.users.setRole.mutationOptions({ onSettled: refresh }));
  const confirmRemove = (id: number, username: string) => {
    if (confirm(`Remove ${username}? Their sessions end at once.`)) remove.mutate({ id });
  };

  return (
    <section className="card">
      <h2>Users</h2>
      {users.isPending && <p className="muted">Loading users…</p>}
      {users.isError && <p className="error-text">Could not load users: {users.error.message}</p>}
      {users.data && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Role</th>
                <th>Added</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {users.data.map((user) => (
                <tr key={user.id} data-testid="user-row">
                  <td>
                    {user.username}
                    {user.username === me && <span className="muted"> (you)</span>}
                  </td>
                  <td>
                    <RoleSelect
                      label={`Role of ${user.username}`}
                      value={user.role}
                      disabled={setRole.isPending}
                      onChange={(role) => setRole.mutate({ id: user.id, role })}
                    />
                  </td>
                  <td>{formatAgo(user.createdAt)}</td>
                  <td className="cell-action">
                    <button
                      type="button"
                      className="danger"
                      disabled={remove.isPending}
                      onClick={() => confirmRemove(user.id, user.username)}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {setRole.isError && (
        <p className="error-text" role="alert">
          {setRole.error.message}
        </p>
      )}
      {remove.isError && (
        <p className="error-text" role="alert">
          {remove.error.message}
        </p>
      )}
      <AddUserForm onAdded={refresh} />
    </section>
  );
}

function AddUserForm({ onAdded }: { onAdded: () => void }) {
  const trpc = useTRPC();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('operator');
  const add = useMutation(
    trpc.users.add.mutationOptions({
      onSuccess: () => {
        setUsername('');
        setPassword('');
        setRole('operator');
        onAdded();
      },
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    add.mutate({ username, password, role });
  };
  return (
    <form className="form add-user" onSubmit={submit}>
      <h3>Add a user</h3>
      <div className="row">
        <TextField label="Name" autoComplete="off" value={username} onChange={setUsername} />
        <TextField
          label="Their password (at least 10 characters)"
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={setPassword}
        />
      </div>
      <RoleSelect label="Role" value={role} onChange={setRole} />
      <p className="muted">
        {ROLE_LABELS[role]}: {ROLE_ABILITIES[role]}.
      </p>
      {add.isError && (
        <p className="error-text" role="alert">
          {add.error.message}
        </p>
      )}
      {add.isSuccess && (
        <p className="muted" role="status">
          Added {add.data.username}. They log in with that name and password.
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={add.isPending}>
          {add.isPending ? 'Adding…' : 'Add user'}
        </button>
      </div>
    </form>
  );
}

function RoleSelect({
  label,
  value,
  disabled,
  onChange,
}: {
  label: string;
  value: Role;
  disabled?: boolean;
  onChange: (role: Role) => void;
}) {
  return (
    <select
      aria-label={label}
      value={value}
      disabled={disabled}
      onChange={(event) => onChange(event.target.value as Role)}
    >
      {ROLES.map((role) => (
        <option key={role} value={role} title={ROLE_ABILITIES[role]}>
          {ROLE_LABELS[role]}
        </option>
      ))}
    </select>
  );
}
