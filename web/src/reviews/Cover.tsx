import type { AlbumView, ReviewView } from '../../../src/client/index.js';

/** An album's cover, or its initials on a tile when it has none; the title is always written next to it. */
export function Cover({ album, large }: { album: Pick<AlbumView, 'title' | 'cover_url'> | ReviewView['album']; large?: boolean }) {
  const className = large ? 'cover large' : 'cover';
  if (album.cover_url) return <img class={className} src={album.cover_url} alt="" loading="lazy" />;
  return (
    <span class={`${className} blank`} aria-hidden="true">
      {album.title.slice(0, 1).toUpperCase()}
    </span>
  );
}
