import type { PageProps } from '../app';
import { PageTitle } from '../ui';

export function ActivitiesPage(_props: PageProps) {
  return (
    <section>
      <PageTitle>Activities</PageTitle>
    </section>
  );
}
