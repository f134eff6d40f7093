export { channelsRepository } from './repository.js';
export { directRoutes } from './direct-routes.js';
export { channelsRoutes } from './routes.js';
export { channelsService, type ChannelActivity, type ChannelsService } from './service.js';
