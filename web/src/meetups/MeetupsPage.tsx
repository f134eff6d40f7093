import { Page } from '../shared/ui.js';

export function MeetupsPage() {
  return <Page title="Meetups">{null}</Page>;
}
