import { Page } from '../shared/ui.js';

export function ReviewsPage() {
  return <Page title="Reviews">{null}</Page>;
}
