import { AccountPage } from '../../components/account-page';

export default function Page() {
  return <AccountPage />;
}
