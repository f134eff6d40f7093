export { accountsRoutes } from './routes.js';
export { accountsService, displayName, presentUser, type AccountsService, type PublicProfile } from './service.js';
export { DEMO_PASSWORD, demoUsernames, seedDemoMusicians } from './demo.js';
export { Profile, User, type ProfileView, type UserView } from './schema.js';
