import { Page } from '../shared/ui.js';

export function AppsPage() {
  return <Page title="Apps">{null}</Page>;
}
