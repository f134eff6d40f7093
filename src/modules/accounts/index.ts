export { accountsRoutes } from './routes.js';
export { accountsService, presentUser, type AccountsService } from './service.js';
export { DEMO_PASSWORD, demoUsernames, seedDemoMusicians } from './demo.js';
