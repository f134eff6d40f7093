import { Type, type Static } from '@sinclair/typebox';

const Text = (maxLength: number) => Type.String({ maxLength });
const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

export const Username = Type.String({ pattern: '^[A-Za-z0-9_.-]{3,32}$', description: '3–32 of A–Z a–z 0–9 _ . - ; unique ignoring case' });
const Email = Type.String({ format: 'email', maxLength: 254 });
// A password of only spaces counts as empty.
const Password = Type.String({ minLength: 8, maxLength: 1024, pattern: '\\S' });
const PhotoUrl = Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2048 });
const Tag = Type.String({ minLength: 1, maxLength: 50, pattern: '\\S' });
const Tags = Type.Array(Tag, { maxItems: 20 });
export const skillLevels = ['beginner', 'intermediate', 'advanced', 'professional'] as const;
const SkillLevel = Type.Union(skillLevels.map((level) => Type.Literal(level)));

export const SignUpBody = Type.Object({
  email: Email,
  username: Username,
  password: Password,
  password_conf: Type.String({ maxLength: 1024 }),
  first_name: Type.Optional(Text(100)),
  last_name: Type.Optional(Text(100)),
  photo_url: Type.Optional(PhotoUrl),
  userName: Type.Optional(Type.String({ description: 'Musician Meetup alias of `username`' })),
  firstName: Type.Optional(Type.String({ description: 'Musician Meetup alias of `first_name`' })),
  lastName: Type.Optional(Type.String({ description: 'Musician Meetup alias of `last_name`' })),
  passwordConf: Type.Optional(Type.String({ description: 'Musician Meetup alias of `password_conf`' })),
});
export type SignUpInput = Static<typeof SignUpBody>;

export const LogInBody = Type.Object(
  {
    email: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { description: 'Log in with `email` or `username` (either field may hold either).' },
);
export type LogInInput = Static<typeof LogInBody>;

export const ChangePasswordBody = Type.Object({
  current_password: Type.String({ minLength: 1, maxLength: 1024 }),
  password: Password,
  password_conf: Type.String({ maxLength: 1024 }),
});
export type ChangePasswordInput = Static<typeof ChangePasswordBody>;

export const DeleteAccountBody = Type.Object({ password: Type.String({ minLength: 1, maxLength: 1024 }) }, { description: 'Your password, to confirm' });

export const PasswordChanged = Type.Object({
  token: Type.String({ description: 'the session token that replaces the one used for this request' }),
  sessions_ended: Type.Integer({ description: 'other sessions of yours that ended' }),
});
export type PasswordChangedView = Static<typeof PasswordChanged>;

export const ProfilePatch = Type.Object({
  first_name: Type.Optional(Text(100)),
  last_name: Type.Optional(Text(100)),
  photo_url: Type.Optional(Nullable(PhotoUrl)),
  bio: Type.Optional(Text(2000)),
  city: Type.Optional(Text(100)),
  instruments: Type.Optional(Tags),
  genres: Type.Optional(Tags),
  skill_level: Type.Optional(Type.Union([SkillLevel, Type.Null()])),
  looking_for: Type.Optional(Text(500)),
});
export type ProfilePatchInput = Static<typeof ProfilePatch>;

export const DirectoryQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 100 })),
  instrument: Type.Optional(Type.String({ maxLength: 50 })),
  genre: Type.Optional(Type.String({ maxLength: 50 })),
  city: Type.Optional(Type.String({ maxLength: 100 })),
  after: Type.Optional(Type.String({ maxLength: 64 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
});
export type DirectoryFilter = Static<typeof DirectoryQuery>;

export const UserParams = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9._~-]{1,64}$' }) });

/** How a person shows beside what they wrote: the public core of a profile. */
export const Profile = Type.Object({
  id: Type.String(),
  username: Type.Union([Type.String(), Type.Null()]),
  first_name: Type.String(),
  last_name: Type.String(),
  photo_url: Type.Union([Type.String(), Type.Null()]),
});
export type ProfileView = Static<typeof Profile>;

export const User = Type.Composite([Profile, Type.Object({
  bio: Type.String(),
  city: Type.String(),
  instruments: Type.Array(Type.String()),
  genres: Type.Array(Type.String()),
  skill_level: Type.Union([SkillLevel, Type.Null()]),
  looking_for: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  email: Type.Optional(Type.String({ description: 'only in one’s own profile' })),
  role: Type.Optional(Type.Union([Type.Literal('user'), Type.Literal('guest'), Type.Literal('admin')], { description: 'only in one’s own profile' })),
  unread_notifications: Type.Optional(Type.Integer({ description: 'only in GET /v1/users/me: notifications not yet read' })),
})]);
export type UserView = Static<typeof User>;

export const SignedIn = Type.Composite([User, Type.Object({ token: Type.String() })]);
export type SignedInView = Static<typeof SignedIn>;

export const Guest = Type.Object({ user_id: Type.String(), token: Type.String() });
export type GuestView = Static<typeof Guest>;

export const Done = Type.Object({ ok: Type.Literal(true), sessions_ended: Type.Optional(Type.Integer()) });
