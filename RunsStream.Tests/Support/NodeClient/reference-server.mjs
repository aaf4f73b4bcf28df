// Reference "scenario host" built on the official socket.io 4.8 server.
// The C# server implements exactly the same behaviour, so driver.mjs can be
// validated here first and later used for differential testing.
//
// Usage: node reference-server.mjs PORT   -> prints "listening PORT" when ready.
import { createServer } from "node:http";
import { Server } from "socket.io";

const port = Number(process.argv[2] ?? 3999);

const httpServer = createServer();
const io = new Server(httpServer, {
  path: "/socket.io/",
  pingInterval: 2000,
  pingTimeout: 2000,
  connectTimeout: 2000,
  cors: { origin: "*" },
});

function setup(nsp) {
  nsp.use((socket, next) => {
    if (socket.handshake.auth && socket.handshake.auth.token === "bad") {
      next(new Error("Unauthorized"));
    } else {
      next();
    }
  });

  nsp.on("connection", (socket) => {
    socket.emit("auth", socket.handshake.auth);

    socket.on("message", (...args) => {
      socket.emit("message-back", ...args);
    });

    socket.on("message-with-ack", (...args) => {
      const ack = args.pop();
      if (typeof ack === "function") ack(...args);
    });

    socket.on("request-server-ack", (payload) => {
      socket.timeout(5000).emit("server-ack-request", payload, (err, ...answer) => {
        socket.emit("server-ack-result", err ? { error: err.message } : answer);
      });
    });

    socket.on("disconnect-me", () => {
      socket.disconnect();
    });

    socket.on("drop-me", () => {
      socket.conn.close();
    });

    socket.on("join", (room, ack) => {
      socket.join(room);
      if (typeof ack === "function") ack(true);
    });

    socket.on("to-room", (room, payload) => {
      io.of(socket.nsp.name).to(room).emit("room-message", payload);
    });
  });
}

setup(io.of("/"));
setup(io.of("/custom"));

httpServer.listen(port, "127.0.0.1", () => {
  console.log(`listening ${port}`);
});

const shutdown = () => {
  io.close();
  process.exit(0);
};
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
