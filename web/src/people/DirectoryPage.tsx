import { Page } from '../shared/ui.js';

export function DirectoryPage() {
  return <Page title="Musicians">{null}</Page>;
}
