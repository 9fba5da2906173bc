import { FleetSettingsPage } from '../../components/fleet-settings-page';

export default function Page() {
  return <FleetSettingsPage />;
}
