import { useEffect, useState } from 'preact/hooks';
import type { UserView } from '../../../src/client/index.js';
import { Field, fieldProblems, formProblem } from '../accounts/fields.js';
import { useSession } from '../app/session.js';
import { ErrorNote, Page, problem } from '../shared/ui.js';
import { Avatar, skillLabel, type Skill } from './musician.js';
import { TagInput } from './TagInput.js';
import './people.css';

/** The photo preview waits for typing to pause, rather than fetching every half-typed address. */
const PREVIEW_DELAY_MS = 600;

function useSettled<T>(value: T, delay: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), delay);
    return () => clearTimeout(timer);
  }, [value, delay]);
  return settled;
}

/** The signed-in musician's own profile, as others find it in the directory. */
export function ProfilePage() {
  const { client, me, setMe, signOut } = useSession();
  const [draft, setDraft] = useState(() => ({ ...me }));
  const [saved, setSaved] = useState('');
  const [error, setError] = useState('');
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const preview = useSettled(draft.photo_url?.trim() || null, PREVIEW_DELAY_MS);

  const set = <K extends keyof UserView>(key: K, value: UserView[K]) => {
    setDraft((current) => ({ ...current, [key]: value }));
    setSaved('');
  };
  const text = (key: 'first_name' | 'last_name' | 'bio' | 'city' | 'looking_for') => ({
    value: draft[key],
    onInput: (event: Event) => set(key, (event.currentTarget as HTMLInputElement).value),
  });

  const save = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError('');
    setProblems({});
    setSaved('');
    try {
      const photo = draft.photo_url?.trim();
      const user = await client.updateProfile({
        first_name: draft.first_name.trim(),
        last_name: draft.last_name.trim(),
        photo_url: photo ? photo : null,
        bio: draft.bio.trim(),
        city: draft.city.trim(),
        instruments: draft.instruments,
        genres: draft.genres,
        skill_level: draft.skill_level,
        looking_for: draft.looking_for.trim(),
      });
      setMe(user);
      setDraft({ ...user });
      setSaved('Profile saved');
    } catch (caught) {
      const byField = fieldProblems(caught);
      setProblems(byField);
      setError(formProblem(caught, byField));
    } finally {
      setBusy(false);
    }
  };

  const logOutEverywhere = async () => {
    setError('');
    try {
      await client.logOutEverywhere();
      await signOut();
    } catch (caught) {
      setError(problem(caught));
    }
  };

  return (
    <Page title="Your profile" actions={<a class="text-link" href={`/musicians/${me.id}`}>See it as others do</a>}>
      <form class="profile card" onSubmit={save} aria-label="Profile">
        <div class="profile-top">
          <Avatar person={{ ...draft, photo_url: preview }} size="large" />
          <div class="profile-names">
            <p class="handle">@{me.username}</p>
            <div class="two">
              <Field label="First name" name="first_name" problem={problems.first_name}>
                {(described) => <input autocomplete="given-name" maxLength={100} {...text('first_name')} {...described} />}
              </Field>
              <Field label="Last name" name="last_name" problem={problems.last_name}>
                {(described) => <input autocomplete="family-name" maxLength={100} {...text('last_name')} {...described} />}
              </Field>
            </div>
          </div>
        </div>
        <Field label="Photo URL" name="photo_url" problem={problems.photo_url} hint="A link to a picture of you; your initials show when there is none">
          {(described) => (
            <input type="url" inputMode="url" placeholder="https://…" value={draft.photo_url ?? ''} onInput={(event) => set('photo_url', event.currentTarget.value)} {...described} />
          )}
        </Field>
        <div class="two">
          <Field label="City" name="city" problem={problems.city}>
            {(described) => <input autocomplete="address-level2" maxLength={100} {...text('city')} {...described} />}
          </Field>
          <Field label="Skill level" name="skill_level" problem={problems.skill_level}>
            {(described) => (
              <select value={draft.skill_level ?? ''} onChange={(event) => set('skill_level', (event.currentTarget.value || null) as Skill | null)} {...described}>
                <option value="">Not saying</option>
                {(Object.keys(skillLabel) as Skill[]).map((level) => (
                  <option key={level} value={level}>
                    {skillLabel[level]}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
        <TagInput legend="Instruments" noun="instrument" tags={draft.instruments} onChange={(tags) => set('instruments', tags)} />
        {problems.instruments && <p class="field-problem">{problems.instruments}</p>}
        <TagInput legend="Genres" noun="genre" tags={draft.genres} onChange={(tags) => set('genres', tags)} />
        {problems.genres && <p class="field-problem">{problems.genres}</p>}
        <Field label="Looking for" name="looking_for" problem={problems.looking_for}>
          {(described) => <input maxLength={500} placeholder="A drummer for a funk trio, weekly jams…" {...text('looking_for')} {...described} />}
        </Field>
        <Field label="Bio" name="bio" problem={problems.bio}>
          {(described) => <textarea rows={4} maxLength={2000} {...text('bio')} {...described} />}
        </Field>
        <ErrorNote error={error} />
        <div class="row">
          <button type="submit" disabled={busy}>
            Save profile
          </button>
          <p class="saved" role="status">
            {saved}
          </p>
        </div>
      </form>
      <section class="card sessions" aria-labelledby="sessions-title">
        <h2 id="sessions-title">Sessions</h2>
        <p>Lost a phone or used a shared computer? This ends every session of yours, on every device, this one too.</p>
        <div>
          <button type="button" class="secondary" onClick={() => void logOutEverywhere()}>
            Log out everywhere
          </button>
        </div>
      </section>
    </Page>
  );
}
