export { matchingRepository } from './repository.js';
export { matchingRoutes } from './routes.js';
export { matchingService, QUEUE_FALLBACK, WENT_AWAY, type MatchingService } from './service.js';
