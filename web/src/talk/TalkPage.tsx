import { Page } from '../shared/ui.js';

export function TalkPage() {
  return <Page title="Talk now">{null}</Page>;
}
