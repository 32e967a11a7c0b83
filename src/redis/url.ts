// Redis URLs carry credentials in several places ioredis reads: the user info (`user:pass@`,
// `:pass@`, a lone `secret@`) and the query string (`?password=`, `?username=…&password=`,
// `?sentinelPassword=`, …). Everything the lab shows (banner, logs, /stats, /cluster) goes through
// redactRedisUrl, and the option table asks redisUrlHasSecret whether a URL on argv is a secret.

/** Query parameters whose value is a credential (ioredis takes any connection option from the query). */
const SECRET_PARAM = /pass|secret|token|auth|key/i;

const parse = (url: string): URL | null => {
  try {
    return new URL(url);
  } catch {
    return null;
  }
};

/** Does this URL carry a credential anywhere? */
export const redisUrlHasSecret = (url: string): boolean => {
  const parsed = parse(url);
  if (parsed === null) return false;
  return (
    parsed.username !== '' ||
    parsed.password !== '' ||
    [...parsed.searchParams.keys()].some((name) => SECRET_PARAM.test(name))
  );
};

/**
 * A Redis URL fit for a banner or a log: every password replaced by `***`. A user name stays when a
 * password follows it (it helps to tell accounts apart); a lone `secret@` is most likely a password, so it goes.
 */
export const redactRedisUrl = (url: string): string => {
  const parsed = parse(url);
  if (parsed === null) return '(unparseable URL)';
  if (parsed.password !== '') parsed.password = '***';
  else if (parsed.username !== '') parsed.username = '***';
  parsed.hash = '';
  const query = [...parsed.searchParams]
    .map(
      ([name, value]) => `${encodeURIComponent(name)}=${SECRET_PARAM.test(name) ? '***' : encodeURIComponent(value)}`,
    )
    .join('&');
  parsed.search = '';
  return query === '' ? parsed.toString().replace(/\/$/, '') : `${parsed.toString()}?${query}`;
};
