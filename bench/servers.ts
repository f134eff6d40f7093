/**
 * The peers Riff is measured against, each written the way its documentation suggests:
 * `node servers.js <ws|socketio|uws> <port>` prints "listening" once it accepts sockets.
 * A socket joins the room named by `?room=` (Socket.IO: the handshake query), default "bench";
 * every message is broadcast to every socket of the sender's room, the sender included.
 */
import { createRequire } from 'node:module';
import { WebSocketServer, type WebSocket } from 'ws';
import { Server } from 'socket.io';

const [kind, portText] = process.argv.slice(2);
const port = Number(portText);

const roomOf = (url: string | undefined) => new URL(url ?? '/', 'http://localhost').searchParams.get('room') || 'bench';

function rawWs(): void {
  const server = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false }, () => console.log('listening'));
  const rooms = new Map<string, Set<WebSocket>>();
  server.on('connection', (socket, request) => {
    const name = roomOf(request.url);
    let room = rooms.get(name);
    if (!room) rooms.set(name, (room = new Set()));
    room.add(socket);
    socket.on('close', () => room.delete(socket));
    // Encoded once: the received Buffer is the frame every socket gets.
    socket.on('message', (data: Buffer) => {
      for (const member of room) member.send(data, { binary: false });
    });
  });
}

function socketIo(): void {
  const io = new Server(port, { serveClient: false, transports: ['websocket'] });
  io.on('connection', (socket) => {
    const room = String(socket.handshake.query.room ?? 'bench');
    void socket.join(room);
    socket.on('m', (payload: string) => io.to(room).emit('m', payload));
  });
  console.log('listening');
}

function uws(): void {
  // The package ships no types; this is the part of its API used here.
  type Socket = { subscribe(topic: string): boolean; getUserData(): { room: string } };
  type Request = { getQuery(key: string): string | undefined; getHeader(name: string): string };
  type Response = { upgrade(data: { room: string }, key: string, protocol: string, extensions: string, context: unknown): void };
  type UwsApp = {
    ws(
      pattern: string,
      behavior: {
        maxBackpressure?: number;
        upgrade(res: Response, req: Request, context: unknown): void;
        open(socket: Socket): void;
        message(socket: Socket, message: ArrayBuffer, isBinary: boolean): void;
      },
    ): UwsApp;
    publish(topic: string, message: ArrayBuffer, isBinary: boolean): boolean;
    listen(host: string, port: number, done: (listening: unknown) => void): UwsApp;
  };
  let uWS: { App(): UwsApp };
  try {
    uWS = createRequire(import.meta.url)('@trufflesuite/uws-js-unofficial');
  } catch (error) {
    console.log(`unavailable: ${(error as Error).message.split('\n')[0]}`);
    process.exit(3);
  }
  const app = uWS.App();
  app
    .ws('/*', {
      upgrade: (res, req, context) =>
        res.upgrade(
          { room: req.getQuery('room') || 'bench' },
          req.getHeader('sec-websocket-key'),
          req.getHeader('sec-websocket-protocol'),
          req.getHeader('sec-websocket-extensions'),
          context,
        ),
      open: (socket) => void socket.subscribe(socket.getUserData().room),
      message: (socket, message, isBinary) => void app.publish(socket.getUserData().room, message, isBinary),
    })
    .listen('127.0.0.1', port, (listening) => {
      if (!listening) {
        console.log(`unavailable: cannot listen on ${port}`);
        process.exit(3);
      }
      console.log('listening');
    });
}

switch (kind) {
  case 'ws':
    rawWs();
    break;
  case 'socketio':
    socketIo();
    break;
  case 'uws':
    uws();
    break;
  default:
    console.error(`unknown peer server "${kind}"`);
    process.exit(2);
}
