import { randomInt } from 'node:crypto';

const MOODS = [
  'Amber', 'Blue', 'Bright', 'Calm', 'Copper', 'Gentle', 'Golden', 'Green', 'Hazel', 'Indigo', 'Ivory', 'Jade',
  'Kind', 'Lilac', 'Mellow', 'Misty', 'Quiet', 'Rosy', 'Silver', 'Soft', 'Steady', 'Sunny', 'Velvet', 'Warm',
];
const INSTRUMENTS = [
  'Banjo', 'Bass', 'Bongo', 'Cello', 'Clarinet', 'Cymbal', 'Drum', 'Fiddle', 'Flute', 'Guitar', 'Harp', 'Horn',
  'Kazoo', 'Lute', 'Mandolin', 'Oboe', 'Piano', 'Piccolo', 'Sitar', 'Tambourine', 'Trumpet', 'Tuba', 'Ukulele', 'Viola',
];

const pick = (words: readonly string[]) => words[randomInt(words.length)]!;

/** Two different aliases for the two people of a new room ("Mellow Cello"): random, so they say nothing about anyone. */
export function roomAliases(): [string, string] {
  const first = `${pick(MOODS)} ${pick(INSTRUMENTS)}`;
  for (;;) {
    const second = `${pick(MOODS)} ${pick(INSTRUMENTS)}`;
    if (second !== first) return [first, second];
  }
}
