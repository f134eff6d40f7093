import { useEffect, useState } from 'preact/hooks';
import type { UserView } from '../../../src/client/index.js';

export type Skill = NonNullable<UserView['skill_level']>;

export const skillLabel: Record<Skill, string> = { beginner: 'Beginner', intermediate: 'Intermediate', advanced: 'Advanced', professional: 'Professional' };

interface Person {
  username: string | null;
  first_name: string;
  last_name: string;
  photo_url: string | null;
}

/** The name a musician goes by: their full name when they gave one, else their username. */
export const displayName = (person: Person) => [person.first_name, person.last_name].filter(Boolean).join(' ') || person.username || 'Musician';

const initialsOf = (person: Person) => {
  const named = [person.first_name, person.last_name].filter(Boolean);
  const letters = named.length > 0 ? named.map((part) => part[0]) : [person.username?.[0] ?? '?'];
  return letters.join('').slice(0, 2).toUpperCase();
};

/** A musician's photo, or their initials when there is none or it does not load; decorative beside their name. */
export function Avatar({ person, size = 'small' }: { person: Person; size?: 'small' | 'large' }) {
  const [broken, setBroken] = useState(false);
  useEffect(() => setBroken(false), [person.photo_url]);
  return (
    <span class={`avatar ${size}`} aria-hidden="true">
      {person.photo_url && !broken ? <img src={person.photo_url} alt="" onError={() => setBroken(true)} /> : initialsOf(person)}
    </span>
  );
}
