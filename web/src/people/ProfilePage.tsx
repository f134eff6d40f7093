import { Page } from '../shared/ui.js';

export function ProfilePage() {
  return <Page title="Profile">{null}</Page>;
}
