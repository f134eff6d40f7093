export { notificationsRepository } from './repository.js';
export { notificationsRoutes } from './routes.js';
export { notificationsService, presentNotification, type Notice, type NotificationsService } from './service.js';
export type { NotificationView } from './schema.js';
