import { Suspense } from 'react';
import { FleetOverview } from '../components/fleet-overview';

// The overview reads its layout (cards or table) from the URL, which is known only in the browser.
export default function OverviewPage() {
  return (
    <Suspense>
      <FleetOverview />
    </Suspense>
  );
}
