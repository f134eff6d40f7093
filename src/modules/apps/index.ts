export { appsRepository } from './repository.js';
export { appsRoutes } from './routes.js';
export { appsService, WEBHOOK_DELIVERY, type AppsService } from './service.js';
