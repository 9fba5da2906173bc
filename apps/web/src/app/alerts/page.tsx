import { AlertsPage } from '../../components/alerts-page';

export default function Page() {
  return <AlertsPage />;
}
