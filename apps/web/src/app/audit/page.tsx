import { AuditPage } from '../../components/audit-page';

export default async function Page({
  searchParams,
}: {
  searchParams: Promise<{ machine?: string | string[] }>;
}) {
  const { machine } = await searchParams;
  return <AuditPage {...(typeof machine === 'string' ? { initialMachine: machine } : {})} />;
}
