// Lua scripts run by name through ioredis's defineCommand: the first call on a connection sends the
// script (EVAL, which also loads it into Redis's script cache), later ones only its SHA1 (EVALSHA),
// and a NOSCRIPT answer (a restarted Redis, SCRIPT FLUSH) is answered by sending the script again.
import type { Redis } from 'ioredis';

export type ScriptArgument = string | number;

/** Run the script on `client` with these keys and arguments; resolves to its reply. */
export type RunScript = (client: Redis, keys: readonly string[], args: readonly ScriptArgument[]) => Promise<unknown>;

type ScriptCommand = (...keysThenArgs: ScriptArgument[]) => Promise<unknown>;

/** A script with a fixed number of keys, defined on each client the first time it runs there. */
export const defineScript = (name: string, lua: string, numberOfKeys: number): RunScript => {
  const definedOn = new WeakSet<Redis>();
  return (client, keys, args) => {
    if (keys.length !== numberOfKeys) throw new Error(`The ${name} script takes ${numberOfKeys} key(s).`);
    if (!definedOn.has(client)) {
      client.defineCommand(name, { numberOfKeys, lua });
      definedOn.add(client);
    }
    // defineCommand adds a method of that name to this client; TypeScript cannot know it.
    const command = (client as unknown as Record<string, ScriptCommand>)[name];
    if (command === undefined) throw new Error(`The ${name} script is not defined on this client.`);
    return command.call(client, ...keys, ...args);
  };
};
