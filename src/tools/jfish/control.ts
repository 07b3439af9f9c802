// Control flow that is not an error: `exit`/`quit` end the shell or script.

/** Thrown by `exit`/`quit`; the dispatcher passes it through unwrapped. */
export class ExitRequest extends Error {
  constructor() {
    super('exit');
    this.name = 'ExitRequest';
  }
}
