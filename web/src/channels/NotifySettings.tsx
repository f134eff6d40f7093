import { useEffect, useState } from 'preact/hooks';
import type { SettingsView } from '../../../src/client/index.js';
import { useSession } from '../app/session.js';
import { clockTime, problem } from '../shared/ui.js';

const LEVELS: { value: SettingsView['level']; label: string }[] = [
  { value: 'all', label: 'All activity' },
  { value: 'mentions', label: 'Only mentions' },
  { value: 'none', label: 'Nothing' },
];
const MUTES = [1, 8, 24];

/** My notification level for a channel I am in, and a mute for some hours. */
export function NotifySettings({ channelId }: { channelId: string }) {
  const { client } = useSession();
  const [settings, setSettings] = useState<SettingsView | undefined>();
  const [error, setError] = useState('');

  useEffect(() => {
    setSettings(undefined);
    client.notificationSettings(channelId).then(setSettings, () => setSettings(undefined));
  }, [channelId]);

  const save = async (level: SettingsView['level'], mutedUntil: string | null) => {
    try {
      setSettings(await client.setNotificationSettings(channelId, { level, muted_until: mutedUntil }));
      setError('');
    } catch (caught) {
      setError(problem(caught));
    }
  };

  if (!settings) return null;
  const muted = settings.muted_until !== null && new Date(settings.muted_until) > new Date();
  return (
    <div class="notify-settings">
      <label>
        <span class="visually-hidden">Notifications for this channel</span>
        <select value={settings.level} aria-label="Notifications for this channel" onChange={(event) => void save(event.currentTarget.value as SettingsView['level'], settings.muted_until)}>
          {LEVELS.map((level) => (
            <option key={level.value} value={level.value}>
              🔔 {level.label}
            </option>
          ))}
        </select>
      </label>
      {muted ? (
        <button type="button" class="secondary small" onClick={() => void save(settings.level, null)}>
          Muted until {clockTime(settings.muted_until!)} · Unmute
        </button>
      ) : (
        <label>
          <span class="visually-hidden">Mute this channel</span>
          <select
            value=""
            aria-label="Mute this channel"
            onChange={(event) => {
              const hours = Number(event.currentTarget.value);
              if (hours) void save(settings.level, new Date(Date.now() + hours * 3_600_000).toISOString());
            }}
          >
            <option value="">Mute…</option>
            {MUTES.map((hours) => (
              <option key={hours} value={hours}>
                for {hours} h
              </option>
            ))}
          </select>
        </label>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
