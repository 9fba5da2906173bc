import { AuthForm } from '../../components/auth-form';

export default function SetupPage() {
  return <AuthForm mode="setup" />;
}
