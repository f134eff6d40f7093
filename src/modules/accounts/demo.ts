import type { Database } from '../../platform/storage/database.js';
import type { AccountsService } from './service.js';

export const DEMO_PASSWORD = 'riff-demo-2026';

const demoMusicians = [
  { username: 'ana', first_name: 'Ana', last_name: 'Ferreira', city: 'Lisbon', instruments: ['guitar', 'vocals'], genres: ['fado', 'jazz'], skill_level: 'advanced', looking_for: 'a bassist for Sunday jams' },
  { username: 'ben', first_name: 'Ben', last_name: 'Okafor', city: 'London', instruments: ['bass'], genres: ['funk', 'soul'], skill_level: 'professional', looking_for: 'a horn section' },
  { username: 'cleo', first_name: 'Cleo', last_name: 'Martin', city: 'Lisbon', instruments: ['drums', 'percussion'], genres: ['jazz', 'rock'], skill_level: 'intermediate', looking_for: 'a band to rehearse with weekly' },
] as const;

/** Creates the demo musicians that are missing; returns the usernames it created. */
export async function seedDemoMusicians(db: Database, accounts: AccountsService): Promise<string[]> {
  const created: string[] = [];
  for (const { username, first_name, last_name, ...profile } of demoMusicians) {
    if (await accounts.findByUsername(db, username)) continue;
    const { user } = await accounts.signUp(db, {
      email: `${username}@demo.riff.invalid`,
      username,
      password: DEMO_PASSWORD,
      password_conf: DEMO_PASSWORD,
      first_name,
      last_name,
    });
    await accounts.updateProfile(db, user.id, { ...profile, instruments: [...profile.instruments], genres: [...profile.genres] });
    created.push(username);
  }
  return created;
}

export const demoUsernames = demoMusicians.map((m) => m.username);
