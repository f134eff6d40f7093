/**
 * The peers Riff is measured against, each written the way its documentation suggests:
 * `node servers.js <ws|socketio|uws> <port>` prints "listening" once it accepts sockets.
 * Every peer broadcasts each incoming message to every socket of one room, the sender included.
 */
import { createRequire } from 'node:module';
import { WebSocketServer, type WebSocket } from 'ws';
import { Server } from 'socket.io';

const [kind, portText] = process.argv.slice(2);
const port = Number(portText);

function rawWs(): void {
  const server = new WebSocketServer({ host: '127.0.0.1', port }, () => console.log('listening'));
  const room = new Set<WebSocket>();
  server.on('connection', (socket) => {
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
    void socket.join('bench');
    socket.on('m', (payload: string) => io.to('bench').emit('m', payload));
  });
  console.log('listening');
}

function uws(): void {
  // The package ships no types; this is the part of its API used here.
  type Socket = { subscribe(topic: string): boolean };
  type UwsApp = {
    ws(pattern: string, behavior: { open(socket: Socket): void; message(socket: Socket, message: ArrayBuffer, isBinary: boolean): void }): UwsApp;
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
      open: (socket) => void socket.subscribe('bench'),
      message: (_socket, message, isBinary) => void app.publish('bench', message, isBinary),
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
