export { meetupsRepository } from './repository.js';
export { meetupsRoutes } from './routes.js';
export { MEETUP_REMINDER, meetupsService, POLL_DEADLINE, type MeetupsService } from './service.js';
