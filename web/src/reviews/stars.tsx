import { useState } from 'preact/hooks';

/** "4.5 stars", "1 star". */
export const starsText = (stars: number) => `${stars} ${stars === 1 ? 'star' : 'stars'}`;

/** The ten ratings a review can give, 0.5 to 5. */
export const RATINGS = [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5] as const;

/** Five stars filled to `value` rounded to the nearest half star, announced as `label`. */
export function StarScore({ value, label }: { value: number; label: string }) {
  const shown = Math.round(value * 2) / 2;
  return (
    <span class="stars" role="img" aria-label={label}>
      <span class="stars-empty" aria-hidden="true">
        ★★★★★
      </span>
      <span class="stars-full" aria-hidden="true" style={{ width: `${(shown / 5) * 100}%` }}>
        ★★★★★
      </span>
    </span>
  );
}

/**
 * A rating from 0.5 to 5 stars: ten radio buttons (arrow keys move between them), each drawn
 * as half a star and labelled "4.5 stars". Each transparent radio lies over its half star, so a
 * click or tap lands on the radio itself.
 */
export function HalfStarInput({ name, value, onChange }: { name: string; value: number | undefined; onChange: (stars: number) => void }) {
  const [hover, setHover] = useState<number | undefined>();
  const lit = hover ?? value ?? 0;
  return (
    <fieldset class="half-stars">
      <legend>Your rating</legend>
      <div class="half-stars-row" onMouseLeave={() => setHover(undefined)}>
        {RATINGS.map((stars) => {
          const id = `${name}-${stars}`;
          return (
            <span key={stars} class={`half-star-choice ${stars % 1 ? 'left' : 'right'}`} onMouseEnter={() => setHover(stars)}>
              <input type="radio" id={id} name={name} value={stars} checked={value === stars} required onChange={() => onChange(stars)} />
              <label for={id} class={stars <= lit ? 'half-star lit' : 'half-star'}>
                <span class="visually-hidden">{starsText(stars)}</span>
                <span class="glyph" aria-hidden="true">
                  ★
                </span>
              </label>
            </span>
          );
        })}
        <output class="half-stars-value" aria-hidden="true">
          {value ? starsText(value) : 'Pick a rating'}
        </output>
      </div>
    </fieldset>
  );
}
