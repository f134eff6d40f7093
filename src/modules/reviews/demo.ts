import { RiffError } from '../../platform/errors.js';
import type { Database } from '../../platform/storage/database.js';
import type { CreateAlbumInput } from './schema.js';
import type { ReviewsService } from './service.js';

/** Well-known albums, so a new Riff has something to review and discuss. */
const demoAlbums: CreateAlbumInput[] = [
  { title: 'Kind of Blue', artist: 'Miles Davis', year: 1959, genres: ['jazz', 'modal-jazz'] },
  { title: 'A Love Supreme', artist: 'John Coltrane', year: 1965, genres: ['jazz', 'spiritual-jazz'] },
  { title: 'Time Out', artist: 'The Dave Brubeck Quartet', year: 1959, genres: ['jazz', 'cool-jazz'] },
  { title: 'Mingus Ah Um', artist: 'Charles Mingus', year: 1959, genres: ['jazz', 'hard-bop'] },
  { title: 'Blue Train', artist: 'John Coltrane', year: 1958, genres: ['jazz', 'hard-bop'] },
  { title: 'Abbey Road', artist: 'The Beatles', year: 1969, genres: ['rock', 'pop'] },
  { title: 'Revolver', artist: 'The Beatles', year: 1966, genres: ['rock', 'psychedelic-rock'] },
  { title: 'Pet Sounds', artist: 'The Beach Boys', year: 1966, genres: ['pop', 'baroque-pop'] },
  { title: 'The Dark Side of the Moon', artist: 'Pink Floyd', year: 1973, genres: ['rock', 'progressive-rock'] },
  { title: 'Led Zeppelin IV', artist: 'Led Zeppelin', year: 1971, genres: ['rock', 'hard-rock'] },
  { title: 'Rumours', artist: 'Fleetwood Mac', year: 1977, genres: ['rock', 'soft-rock'] },
  { title: 'Blue', artist: 'Joni Mitchell', year: 1971, genres: ['folk', 'singer-songwriter'] },
  { title: 'Highway 61 Revisited', artist: 'Bob Dylan', year: 1965, genres: ['rock', 'folk-rock'] },
  { title: 'Are You Experienced', artist: 'The Jimi Hendrix Experience', year: 1967, genres: ['rock', 'psychedelic-rock'] },
  { title: 'London Calling', artist: 'The Clash', year: 1979, genres: ['punk', 'rock'] },
  { title: 'Unknown Pleasures', artist: 'Joy Division', year: 1979, genres: ['post-punk'] },
  { title: 'Remain in Light', artist: 'Talking Heads', year: 1980, genres: ['new-wave', 'post-punk'] },
  { title: 'Thriller', artist: 'Michael Jackson', year: 1982, genres: ['pop', 'funk'] },
  { title: 'Purple Rain', artist: 'Prince and the Revolution', year: 1984, genres: ['pop', 'funk', 'rock'] },
  { title: 'The Joshua Tree', artist: 'U2', year: 1987, genres: ['rock'] },
  { title: 'Nevermind', artist: 'Nirvana', year: 1991, genres: ['grunge', 'rock'] },
  { title: 'Loveless', artist: 'My Bloody Valentine', year: 1991, genres: ['shoegaze'] },
  { title: 'OK Computer', artist: 'Radiohead', year: 1997, genres: ['alternative-rock', 'art-rock'] },
  { title: 'Kid A', artist: 'Radiohead', year: 2000, genres: ['electronic', 'art-rock'] },
  { title: 'Homogenic', artist: 'Björk', year: 1997, genres: ['electronic', 'art-pop'] },
  { title: 'Discovery', artist: 'Daft Punk', year: 2001, genres: ['electronic', 'house'] },
  { title: 'What’s Going On', artist: 'Marvin Gaye', year: 1971, genres: ['soul'] },
  { title: 'Songs in the Key of Life', artist: 'Stevie Wonder', year: 1976, genres: ['soul', 'funk'] },
  { title: 'I Never Loved a Man the Way I Love You', artist: 'Aretha Franklin', year: 1967, genres: ['soul'] },
  { title: 'Mothership Connection', artist: 'Parliament', year: 1975, genres: ['funk'] },
  { title: 'Voodoo', artist: 'D’Angelo', year: 2000, genres: ['neo-soul', 'r-and-b'] },
  { title: 'The Miseducation of Lauryn Hill', artist: 'Lauryn Hill', year: 1998, genres: ['hip-hop', 'neo-soul'] },
  { title: 'Illmatic', artist: 'Nas', year: 1994, genres: ['hip-hop'] },
  { title: 'To Pimp a Butterfly', artist: 'Kendrick Lamar', year: 2015, genres: ['hip-hop', 'jazz-rap'] },
  { title: 'Exodus', artist: 'Bob Marley and the Wailers', year: 1977, genres: ['reggae'] },
  { title: 'Buena Vista Social Club', artist: 'Buena Vista Social Club', year: 1997, genres: ['son-cubano', 'latin'] },
  { title: 'Getz/Gilberto', artist: 'Stan Getz and João Gilberto', year: 1964, genres: ['bossa-nova', 'jazz'] },
  { title: 'Blood on the Tracks', artist: 'Bob Dylan', year: 1975, genres: ['folk-rock', 'singer-songwriter'] },
];

/** Adds the demo albums that are missing; returns how many it added. */
export async function seedDemoAlbums(db: Database, reviews: ReviewsService): Promise<number> {
  let added = 0;
  for (const album of demoAlbums) {
    try {
      await reviews.addAlbum(db, null, album);
      added++;
    } catch (error) {
      if (!(error instanceof RiffError && error.code === 'album_exists')) throw error;
    }
  }
  return added;
}
