import { ProfilesPage } from '../../components/profiles-page';

export default function Page() {
  return <ProfilesPage />;
}
