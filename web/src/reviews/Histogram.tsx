import type { RatingView } from '../../../src/client/index.js';
import { RATINGS, starsText } from './stars.js';

/** How many reviews gave each rating, 5 stars first: a table whose bars are drawn for the eye. */
export function Histogram({ rating }: { rating: RatingView }) {
  const most = Math.max(1, ...RATINGS.map((stars) => rating.histogram[String(stars)] ?? 0));
  return (
    <table class="histogram">
      <caption>How people rated it</caption>
      <thead class="visually-hidden">
        <tr>
          <th scope="col">Rating</th>
          <th scope="col">Reviews</th>
        </tr>
      </thead>
      <tbody>
        {[...RATINGS].reverse().map((stars) => {
          const count = rating.histogram[String(stars)] ?? 0;
          return (
            <tr key={stars}>
              <th scope="row">{starsText(stars)}</th>
              <td>
                <span class="bar" aria-hidden="true">
                  <span style={{ width: `${(count / most) * 100}%` }} />
                </span>
                <span class="count">{count}</span>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
