import { Route, Router } from 'preact-iso';
import { AlbumPage } from './AlbumPage.js';
import { AlbumSearch } from './AlbumSearch.js';
import { GenreRoom } from './GenreRoom.js';
import './reviews.css';

/** `/albums`: search; `/albums/:id`: an album; `/albums/genres/:genre`: a genre's forum room. */
export function ReviewsPage() {
  return (
    <Router>
      <Route path="/" component={AlbumSearch} />
      <Route path="/genres/:genre" component={GenreRoom} />
      <Route path="/:id" component={AlbumPage} />
    </Router>
  );
}
