import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import type { RiffClient, UserView } from '../../../src/client/index.js';
import { Live, type Frame, type LinkState } from '../shared/live.js';

/** Who is signed in, the client that speaks for them and the app's one socket. */
export interface Session {
  client: RiffClient;
  me: UserView;
  live: Live;
  /** Replaces the signed-in user's profile after an edit. */
  setMe(user: UserView): void;
  signOut(): Promise<void>;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}

/** Calls `onFrame` with every frame of the socket while the component is mounted (the newest `onFrame` each time). */
export function useFrames(onFrame: (frame: Frame) => void): void {
  const { live } = useSession();
  const [handler] = useState(() => ({ current: onFrame }));
  handler.current = onFrame;
  useEffect(() => live.listen((frame) => handler.current(frame)), [live]);
}

export function useLinkState(): LinkState {
  const { live } = useSession();
  const [state, setState] = useState(live.state);
  useEffect(() => {
    setState(live.state);
    return live.watch(setState);
  }, [live]);
  return state;
}
