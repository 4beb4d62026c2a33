// A store URL's password never reaches the screen, a log, a stored study or a report.

/** postgresql://tuner:secret@host/db → postgresql://tuner:***@host/db (also in text that quotes it). */
export function redactUrl(url: string): string {
  // Up to the last @ of the URL, as URL parsers read it: a password may hold an unencoded @.
  return url.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):\S*@(?=[^@\s]*(\s|$))/gi, '$1:***@').replace(/([?&](password|sslpassword)=)[^&\s]*/gi, '$1***');
}

/** Replaces every occurrence of `secret` in `text` (driver messages may quote it). */
export function redactSecret(text: string, secret: string | undefined): string {
  if (!secret) return text;
  return text.split(secret).join('***');
}

/**
 * The secrets a store URL carries, in every spelling a message may quote them: the
 * password as typed (percent-encoded) and decoded, from the user part or a query parameter.
 * Shorter than 3 characters they are not searched for: every "a" in a message is not a leak.
 */
export function urlSecrets(url: string): string[] {
  const found = new Set<string>();
  const add = (s: string | null | undefined) => {
    if (!s || s.length < 3) return;
    found.add(s);
    try {
      found.add(decodeURIComponent(s));
    } catch {
      // Not valid percent-encoding: the raw spelling is what a message would quote.
    }
  };
  add(/^[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:(\S*)@[^@\s]*$/i.exec(url)?.[1]);
  try {
    add(new URL(url).password);
  } catch {
    // Not a URL: the pattern above is all there is.
  }
  for (const m of url.matchAll(/[?&](?:password|sslpassword)=([^&\s]*)/gi)) add(m[1]);
  // Longest first, so a secret that contains another is replaced whole.
  return [...found].sort((a, b) => b.length - a.length);
}

/** `text` with the URL's secrets and any URL's password replaced by `***`. */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = redactUrl(text);
  for (const s of secrets) out = redactSecret(out, s);
  return out;
}

/**
 * The same error with its message and stack redacted (a driver's error keeps its class and
 * its code, which callers test, e.g. 23505 for a unique violation).
 */
export function redactError<E>(err: E, secrets: readonly string[]): E {
  if (err instanceof Error) {
    err.message = redactText(err.message, secrets);
    if (err.stack) err.stack = redactText(err.stack, secrets);
    for (const key of ['detail', 'hint', 'where', 'internalQuery'] as const) {
      const value = (err as unknown as Record<string, unknown>)[key];
      if (typeof value === 'string') (err as unknown as Record<string, unknown>)[key] = redactText(value, secrets);
    }
  }
  return err;
}
