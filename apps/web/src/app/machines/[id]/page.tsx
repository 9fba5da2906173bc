import { MachinePage } from '../../../components/machine-page';

export default async function Page({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <MachinePage id={id} />;
}
