export { seedDemoAlbums } from './demo.js';
export { reviewsRepository } from './repository.js';
export { reviewsRoutes } from './routes.js';
export { reviewsService, type ReviewsService } from './service.js';
