import { PageSkeleton } from '../../../../components/page-skeleton';

// The list pages sit in this group so they share a loading state without putting a Suspense
// boundary above servers/[serverId], whose layout must be able to answer a real 404.
export default function Loading() {
  return <PageSkeleton />;
}
