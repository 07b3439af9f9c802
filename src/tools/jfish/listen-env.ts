// Set in the environment of a `jfish --listen` server's child: fd 3 is the pipe to the parent.
// Its own module: jfish's start reads it without loading the server's code (server.ts).
export const CHILD_ENV = 'JFISH_LISTEN_CHILD';
